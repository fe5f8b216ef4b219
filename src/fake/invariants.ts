// Invariants every Responses request from a Codex-compatible client must satisfy. The fake
// server checks them on every request it receives (as the real API refuses an unanswered call);
// tests and conformance runs may also check captured requests with them.

interface Item {
  type?: string;
  id?: unknown;
  call_id?: unknown;
}

/** Returns the violations found in a request body; empty when it is well-formed. */
export function requestInvariantViolations(body: unknown): string[] {
  const request = body as { input?: unknown; previous_response_id?: unknown };
  if (typeof request?.input === "string") return [];
  const input = request?.input;
  if (!Array.isArray(input)) return ["input is not an array"];
  // A chained request answers calls that live in the previous response, not in its input.
  const chained = typeof request.previous_response_id === "string";
  const problems: string[] = [];
  const calls = new Map<string, string>();
  const outputs = new Map<string, string>();
  input.forEach((item: Item, index) => {
    const type = String(item?.type);
    if (item && "id" in item && (typeof item.id !== "string" || item.id === "")) {
      problems.push(`input[${index}] (${type}) has an empty id`);
    }
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
      if (outputs.has(item.call_id)) {
        problems.push(`call_id ${item.call_id} is answered by two outputs`);
      }
      if (!calls.has(item.call_id) && !chained) {
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
