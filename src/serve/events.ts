// What either downstream wire streams, once parsed: the one union the response translator reads.
import type { Usage } from "../protocol/mod.ts";

export type FinishReason = "stop" | "tool_calls" | "length" | "other";

export type DownstreamEvent =
  | { type: "text"; delta: string }
  | { type: "reasoning"; delta: string }
  | { type: "reasoning_signature"; signature: string }
  /** A piece of tool call `index`: its id and name when first seen, then argument text. */
  | { type: "tool_call"; index: number; id?: string; name?: string; arguments?: string }
  /** Cumulative usage so far; the last one of a round counts. */
  | { type: "usage"; usage: Usage }
  | { type: "finish"; reason: FinishReason };

/** Reads one wire's SSE messages; `end` throws when the stream stopped before its terminator. */
export interface StreamReader {
  read(data: string, event?: string): DownstreamEvent[];
  end(): void;
}

export interface UsageDetails {
  cached?: number;
  /** Anthropic's cache writes; counted in `input_tokens` and reported beside `cached_tokens`. */
  cacheWrite?: number;
  reasoning?: number;
}

export function usage(input: number, output: number, details: UsageDetails = {}): Usage {
  return {
    input_tokens: input,
    input_tokens_details: {
      cached_tokens: details.cached ?? 0,
      ...(details.cacheWrite ? { cache_creation_input_tokens: details.cacheWrite } : {}),
    },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: details.reasoning ?? 0 },
    total_tokens: input + output,
  };
}

/** Usage of several downstream rounds that together make one response. */
export function addUsage(a: Usage | undefined, b: Usage): Usage {
  if (!a) return b;
  const detail = (x: Usage, key: "input_tokens_details" | "output_tokens_details", f: string) =>
    Number((x[key] as Record<string, unknown> | null | undefined)?.[f] ?? 0);
  return usage(a.input_tokens + b.input_tokens, a.output_tokens + b.output_tokens, {
    cached: detail(a, "input_tokens_details", "cached_tokens") +
      detail(b, "input_tokens_details", "cached_tokens"),
    cacheWrite: detail(a, "input_tokens_details", "cache_creation_input_tokens") +
      detail(b, "input_tokens_details", "cache_creation_input_tokens"),
    reasoning: detail(a, "output_tokens_details", "reasoning_tokens") +
      detail(b, "output_tokens_details", "reasoning_tokens"),
  });
}
