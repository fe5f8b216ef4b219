// History invariants: items are stored in the shape upstream Codex replays them (no server ids,
// no annotations), and what is left of it when a compaction request itself overflows.
import type { ResponseItem, Usage } from "../protocol/mod.ts";

type Json = Record<string, unknown>;

function contentWithoutAnnotations(content: unknown): unknown {
  if (!Array.isArray(content)) return content;
  return content.map((part: Json) => {
    if (part?.type !== "output_text") return part;
    const { annotations: _annotations, logprobs: _logprobs, ...rest } = part;
    return rest;
  });
}

/**
 * The history form of an output item, key order included: server-assigned ids and output
 * annotations are dropped (the request replays content, not references), reasoning keeps its
 * encrypted content and says `content: null` when it has none.
 */
export function toHistoryItem(item: ResponseItem): ResponseItem {
  const raw = item as Json;
  switch (item.type) {
    case "message": {
      const { id: _id, status: _status, type, role, content, ...rest } = raw;
      return { type, role, content: contentWithoutAnnotations(content), ...rest } as ResponseItem;
    }
    case "reasoning": {
      const { id: _id, status: _status, type, summary, content, encrypted_content, ...rest } = raw;
      return {
        type,
        summary,
        content: content ?? null,
        // Upstream replays a reasoning item with `encrypted_content`, null when none came.
        encrypted_content: encrypted_content ?? null,
        ...rest,
      } as ResponseItem;
    }
    case "function_call": {
      const { id: _id, status: _status, type, name, namespace, arguments: args, call_id, ...rest } =
        raw;
      return {
        type,
        name,
        ...(namespace ? { namespace } : {}),
        arguments: args,
        call_id,
        ...rest,
      } as ResponseItem;
    }
    case "custom_tool_call": {
      // Upstream keeps the status of custom calls (and only of those) when it replays them.
      const { id: _id, status, type, call_id, name, input, ...rest } = raw;
      return { type, ...(status ? { status } : {}), call_id, name, input, ...rest } as ResponseItem;
    }
    default: {
      const { id: _id, ...rest } = raw;
      return rest as ResponseItem;
    }
  }
}

/** The history without its oldest tool output and the call it answers; undefined when none. */
export function withoutOldestToolPair(
  history: readonly ResponseItem[],
): ResponseItem[] | undefined {
  const output = history.find((item) => item.type.endsWith("_call_output"));
  if (!output) return undefined;
  return history.filter((item) => item.call_id !== output.call_id);
}

/**
 * Token counts from an overflow message such as "requested 140000 tokens (130000 in the
 * messages, 10000 in the completion)", so the UI can show how far over the window it went.
 */
export function usageFromOverflow(message: string): Usage | undefined {
  const match = /requested (\d+) tokens \((\d+) in the messages, (\d+) in the completion\)/.exec(
    message,
  );
  if (!match) return undefined;
  const [total, input, output] = match.slice(1).map(Number);
  return { input_tokens: input, output_tokens: output, total_tokens: total };
}
