// Invariants every Responses request from a Codex-compatible client must satisfy, checked on
// each captured request in tests and conformance runs.

interface Item {
  type?: string;
  call_id?: unknown;
}

/** Returns the violations found in a request body; empty when it is well-formed. */
export function requestInvariantViolations(body: unknown): string[] {
  const input = (body as { input?: unknown })?.input;
  if (!Array.isArray(input)) return ["input is not an array"];
  const problems: string[] = [];
  const calls = new Map<string, string>();
  const outputs = new Map<string, string>();
  input.forEach((item: Item, index) => {
    const type = String(item?.type);
    const isCall = type === "function_call" || type === "custom_tool_call" ||
      type === "local_shell_call";
    const isOutput = type.endsWith("_call_output");
    if (!isCall && !isOutput) return;
    if (typeof item.call_id !== "string" || item.call_id === "") {
      problems.push(`input[${index}] (${type}) has an empty call_id`);
      return;
    }
    if (isCall) {
      if (calls.has(item.call_id)) problems.push(`call_id ${item.call_id} is used by two calls`);
      calls.set(item.call_id, type);
    } else {
      if (!calls.has(item.call_id)) {
        problems.push(`${type} for ${item.call_id} has no earlier call`);
      }
      const expected = calls.get(item.call_id) === "custom_tool_call"
        ? "custom_tool_call_output"
        : "function_call_output";
      if (calls.has(item.call_id) && type !== expected) {
        problems.push(`${type} answers ${calls.get(item.call_id)} ${item.call_id}`);
      }
      outputs.set(item.call_id, type);
    }
  });
  for (const [callId, type] of calls) {
    if (!outputs.has(callId)) problems.push(`${type} ${callId} has no output`);
  }
  return problems;
}
