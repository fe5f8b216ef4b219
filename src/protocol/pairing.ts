// Every tool call must be answered before a request carries it: calls left without an output (an
// interrupt, a crash) get a synthetic "aborted" one, as upstream Codex sends it.
import { isToolCall, type ResponseItem, type ToolCallItem } from "./responses.ts";

export const ABORTED_OUTPUT = "aborted";

export function abortedOutput(call: ToolCallItem): ResponseItem {
  return call.type === "custom_tool_call"
    ? { type: "custom_tool_call_output", call_id: call.call_id, output: ABORTED_OUTPUT }
    : { type: "function_call_output", call_id: call.call_id, output: ABORTED_OUTPUT };
}

function answeredCallIds(history: readonly ResponseItem[]): Set<string> {
  return new Set(
    history.filter((item) => item.type.endsWith("_call_output")).map((item) =>
      String(item.call_id)
    ),
  );
}

/** Returns the history with a synthetic "aborted" output right after each call that has none. */
export function pairDanglingCalls(history: readonly ResponseItem[]): ResponseItem[] {
  const answered = answeredCallIds(history);
  return history.flatMap((item) =>
    isToolCall(item) && !answered.has(item.call_id) ? [item, abortedOutput(item)] : [item]
  );
}

/** Synthetic "aborted" outputs for the calls in `history` that have none, in call order. */
export function abortedOutputs(history: readonly ResponseItem[]): ResponseItem[] {
  const answered = answeredCallIds(history);
  return history.filter(isToolCall).filter((call) => !answered.has(call.call_id)).map(
    abortedOutput,
  );
}
