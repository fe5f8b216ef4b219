import assert from "node:assert/strict";
import { abortedOutputs, pairDanglingCalls, type ResponseItem } from "../protocol/mod.ts";
import { toHistoryItem, usageFromOverflow, withoutOldestToolPair } from "./history.ts";

const call = (id: string): ResponseItem => ({
  type: "function_call",
  name: "f",
  arguments: "{}",
  call_id: id,
});
const output = (id: string): ResponseItem => ({
  type: "function_call_output",
  call_id: id,
  output: "x",
});

Deno.test("dangling calls get aborted outputs, custom calls custom outputs", () => {
  const custom: ResponseItem = {
    type: "custom_tool_call",
    call_id: "c",
    name: "apply_patch",
    input: "",
  };
  const history = [call("a"), output("a"), call("b"), custom];
  assert.deepEqual(abortedOutputs(history), [
    { type: "function_call_output", call_id: "b", output: "aborted" },
    { type: "custom_tool_call_output", call_id: "c", output: "aborted" },
  ]);
  assert.deepEqual(pairDanglingCalls(history).map((i) => `${i.type}:${i.call_id}`), [
    "function_call:a",
    "function_call_output:a",
    "function_call:b",
    "function_call_output:b",
    "custom_tool_call:c",
    "custom_tool_call_output:c",
  ]);
});

Deno.test("history form drops ids and annotations and orders keys as upstream replays them", () => {
  assert.deepEqual(
    JSON.stringify(
      toHistoryItem({
        type: "function_call",
        id: "fc",
        status: "completed",
        call_id: "c",
        name: "n",
        arguments: "{}",
      }),
    ),
    JSON.stringify({ type: "function_call", name: "n", arguments: "{}", call_id: "c" }),
  );
  assert.deepEqual(
    toHistoryItem({
      type: "message",
      id: "m",
      role: "assistant",
      content: [{ type: "output_text", text: "t", annotations: [] }],
      phase: "final",
    }),
    {
      type: "message",
      role: "assistant",
      content: [{ type: "output_text", text: "t" }],
      phase: "final",
    },
  );
  // Without encrypted content from the server, upstream 0.115.0 replays it as null.
  assert.deepEqual(toHistoryItem({ type: "reasoning", id: "r", summary: [] }), {
    type: "reasoning",
    summary: [],
    content: null,
    encrypted_content: null,
  });
});

Deno.test("the oldest tool pair can be dropped; overflow counts are parsed", () => {
  assert.deepEqual(withoutOldestToolPair([call("a"), output("a"), call("b"), output("b")]), [
    call("b"),
    output("b"),
  ]);
  assert.equal(withoutOldestToolPair([call("a")]), undefined);
  assert.deepEqual(
    usageFromOverflow(
      "This model's maximum context length is 1000 tokens. However, you requested 1200 tokens (1100 in the messages, 100 in the completion).",
    ),
    { input_tokens: 1100, output_tokens: 100, total_tokens: 1200 },
  );
});
