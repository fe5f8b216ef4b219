// One sampling request with stream-level retries: collects the output items and relays deltas as
// they arrive. A retryable failure (broken, idle or garbled stream, exhausted request retries, 429)
// re-sends the whole request up to `maxRetries` (stream_max_retries) times, announcing each retry.
import { isKnownEvent, type ResponseItem, type Usage } from "../protocol/mod.ts";
import type { ResponsesClient } from "./client.ts";
import { classify, explain, ResponseIncompleteError } from "./errors.ts";
import type { BuiltRequest } from "./request.ts";
import { retryDelayMs, wait } from "./retry.ts";

export interface SampleResult {
  responseId?: string;
  items: ResponseItem[];
  usage?: Usage;
}

export type SampleEvent =
  | { type: "text_delta"; delta: string }
  | { type: "reasoning_delta"; delta: string; summary: boolean }
  /** An output item begins (`response.output_item.added`). */
  | { type: "item_added"; item: ResponseItem }
  | { type: "item_done"; item: ResponseItem }
  /**
   * The attempt failed and will be re-sent: deltas relayed since the last `item_done` belong to
   * the abandoned attempt and must be dropped by whoever shows them.
   */
  | { type: "retrying"; attempt: number; maxRetries: number; delayMs: number; error: string }
  /** The server accepted the request and its stream began (once per attempt). */
  | { type: "stream_opened" };

export interface SampleOptions {
  signal?: AbortSignal;
  maxRetries: number;
  onEvent?: (event: SampleEvent) => void;
}

export async function sample(
  client: ResponsesClient,
  request: BuiltRequest,
  options: SampleOptions,
): Promise<SampleResult> {
  for (let attempt = 0;; attempt++) {
    const items: ResponseItem[] = [];
    // Upstream counts tokens as each stream opens, even one that then never sends an event.
    const onOpen = () => options.onEvent?.({ type: "stream_opened" });
    try {
      for await (const event of client.stream(request, { signal: options.signal, onOpen })) {
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
          case "response.output_item.added":
            options.onEvent?.({ type: "item_added", item: event.item });
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
              items,
            );
          // The client throws on these before they get here.
          case "response.failed":
          case "error":
          // Finished items carry everything these announce piece by piece.
          case "response.created":
          case "response.in_progress":
          case "response.content_part.added":
          case "response.content_part.done":
          case "response.output_text.done":
          case "response.function_call_arguments.delta":
          case "response.function_call_arguments.done":
          case "response.custom_tool_call_input.delta":
          case "response.custom_tool_call_input.done":
          case "response.reasoning_summary_part.added":
          case "response.reasoning_summary_text.done":
          case "response.reasoning_text.done":
            break;
          default:
            event satisfies never;
        }
      }
    } catch (err) {
      if (options.signal?.aborted) throw err;
      const verdict = classify(err);
      if (verdict.kind !== "retryable" || attempt >= options.maxRetries) throw err;
      const delayMs = retryDelayMs(attempt + 1, verdict.retryAfterMs);
      options.onEvent?.({
        type: "retrying",
        attempt: attempt + 1,
        maxRetries: options.maxRetries,
        delayMs,
        error: explain(err).headline,
      });
      await wait(delayMs, options.signal);
    }
  }
}
