// One sampling request with retries: collects the output items, relays deltas as they arrive.
import {
  isKnownEvent,
  type ResponseItem,
  type ResponsesRequest,
  type Usage,
} from "../protocol/mod.ts";
import type { ResponsesClient } from "./client.ts";
import { classify, ResponseIncompleteError } from "./errors.ts";

export interface SampleResult {
  responseId?: string;
  items: ResponseItem[];
  usage?: Usage;
}

export type SampleEvent =
  | { type: "text_delta"; delta: string }
  | { type: "reasoning_delta"; delta: string; summary: boolean }
  | { type: "item_done"; item: ResponseItem }
  | { type: "retrying"; attempt: number; maxRetries: number; delayMs: number; error: string };

export interface SampleOptions {
  signal?: AbortSignal;
  headers?: Record<string, string>;
  maxRetries: number;
  onEvent?: (event: SampleEvent) => void;
}

/** Backoff before retry `attempt` (1-based): 200 ms doubling, capped, with ±10% jitter. */
export function backoffMs(attempt: number): number {
  const base = 200 * 2 ** Math.min(attempt - 1, 10);
  return Math.round(base * (0.9 + Math.random() * 0.2));
}

function wait(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}

export async function sample(
  client: ResponsesClient,
  body: ResponsesRequest,
  options: SampleOptions,
): Promise<SampleResult> {
  for (let attempt = 0;; attempt++) {
    const items: ResponseItem[] = [];
    try {
      for await (const event of client.stream(body, options)) {
        if (!isKnownEvent(event)) continue;
        switch (event.type) {
          case "response.output_text.delta":
            options.onEvent?.({ type: "text_delta", delta: event.delta });
            break;
          case "response.reasoning_summary_text.delta":
            options.onEvent?.({ type: "reasoning_delta", delta: event.delta, summary: true });
            break;
          case "response.reasoning_text.delta":
            options.onEvent?.({ type: "reasoning_delta", delta: event.delta, summary: false });
            break;
          case "response.output_item.done":
            items.push(event.item);
            options.onEvent?.({ type: "item_done", item: event.item });
            break;
          case "response.completed":
            return {
              responseId: event.response.id,
              items,
              usage: event.response.usage ?? undefined,
            };
          case "response.incomplete":
            throw new ResponseIncompleteError(
              event.response.incomplete_details?.reason ?? undefined,
            );
        }
      }
    } catch (err) {
      if (options.signal?.aborted) throw err;
      const verdict = classify(err);
      if (verdict.kind !== "retryable" || attempt >= options.maxRetries) throw err;
      const delayMs = verdict.retryAfterMs ?? backoffMs(attempt + 1);
      options.onEvent?.({
        type: "retrying",
        attempt: attempt + 1,
        maxRetries: options.maxRetries,
        delayMs,
        error: (err as Error).message,
      });
      await wait(delayMs, options.signal);
    }
  }
}
