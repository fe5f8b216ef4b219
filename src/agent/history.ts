// History invariants: every tool call the model made is answered before the next request.
import { isToolCall, type ResponseItem } from "../protocol/mod.ts";

export const ABORTED_OUTPUT = "aborted";

/** Returns the history with a synthetic "aborted" output after each call that has none. */
export function pairDanglingCalls(history: readonly ResponseItem[]): ResponseItem[] {
  const answered = new Set(
    history.filter((item) => item.type.endsWith("_call_output")).map((item) =>
      String(item.call_id)
    ),
  );
  const out: ResponseItem[] = [];
  for (const item of history) {
    out.push(item);
    if (!isToolCall(item) || answered.has(item.call_id)) continue;
    out.push(
      item.type === "custom_tool_call"
        ? { type: "custom_tool_call_output", call_id: item.call_id, output: ABORTED_OUTPUT }
        : { type: "function_call_output", call_id: item.call_id, output: ABORTED_OUTPUT },
    );
  }
  return out;
}
