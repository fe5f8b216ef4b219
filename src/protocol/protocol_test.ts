import assert from "node:assert/strict";
import { uuidv7 } from "./ids.ts";
import { isKnownEvent, MalformedEventError, parseEvent } from "./response_events.ts";
import { isKnownItem, ResponseItem, ResponsesRequest, ToolSpec } from "./responses.ts";
import { encodeJsonEvent, encodeSseFrame, readSse } from "./sse.ts";

// Shapes as upstream Codex sends and receives them.
const ITEMS = [
  { type: "message", role: "developer", content: [{ type: "input_text", text: "<permissions>" }] },
  {
    type: "message",
    role: "user",
    content: [
      { type: "input_text", text: "look" },
      { type: "input_image", image_url: "data:image/png;base64,AAAA", detail: "high" },
    ],
  },
  {
    type: "message",
    id: "msg_1",
    role: "assistant",
    content: [{ type: "output_text", text: "hi", annotations: [] }],
    phase: "final_answer",
  },
  {
    type: "reasoning",
    id: "rs_1",
    summary: [{ type: "summary_text", text: "thinking" }],
    content: [{ type: "reasoning_text", text: "raw" }],
    encrypted_content: "gAAAA",
  },
  {
    type: "function_call",
    id: "fc_1",
    call_id: "call_1",
    name: "exec_command",
    arguments: '{"cmd":"ls"}',
  },
  { type: "function_call_output", call_id: "call_1", output: "Output:\nREADME.md\n" },
  {
    type: "function_call_output",
    call_id: "call_2",
    output: [{ type: "input_image", image_url: "data:image/png;base64,AAAA" }],
  },
  {
    type: "custom_tool_call",
    id: "ctc_1",
    call_id: "call_3",
    name: "apply_patch",
    input: "*** Begin Patch",
  },
  { type: "custom_tool_call_output", call_id: "call_3", output: "Success." },
  {
    type: "web_search_call",
    id: "ws_1",
    status: "completed",
    action: { type: "search", query: "deno" },
  },
];

Deno.test("every upstream-shaped item round-trips unchanged", () => {
  for (const item of ITEMS) {
    const parsed = ResponseItem.parse(item);
    assert.deepEqual(parsed, item);
    assert.ok(isKnownItem(parsed), item.type);
  }
});

Deno.test("unknown item types and unknown fields pass through", () => {
  const future = { type: "compaction_summary", encrypted_content: "x", extra: { a: 1 } };
  assert.deepEqual(ResponseItem.parse(future), future);
  assert.equal(isKnownItem(ResponseItem.parse(future)), false);
  const withExtra = { ...ITEMS[4], future_field: [1, 2] };
  assert.deepEqual(ResponseItem.parse(withExtra), withExtra);
});

Deno.test("a malformed known item is rejected", () => {
  assert.throws(() => ResponseItem.parse({ type: "function_call", name: "x", arguments: "{}" }));
  assert.throws(() => ResponseItem.parse({ type: "message", role: "robot", content: [] }));
});

Deno.test("tool declarations: function, custom with grammar, web_search, namespace, unknown", () => {
  const tools = [
    {
      type: "function",
      name: "exec_command",
      description: "d",
      strict: false,
      parameters: { type: "object", properties: { cmd: { type: "string" } }, required: ["cmd"] },
    },
    {
      type: "custom",
      name: "apply_patch",
      description: "d",
      format: { type: "grammar", syntax: "lark", definition: "start: begin_patch" },
    },
    { type: "web_search", external_web_access: false },
    {
      type: "namespace",
      name: "mcp__fs",
      description: "d",
      tools: [{ type: "function", name: "read", parameters: { type: "object" } }],
    },
    { type: "image_generation", size: "auto" },
  ];
  for (const tool of tools) assert.deepEqual(ToolSpec.parse(tool), tool);
  assert.throws(() => ToolSpec.parse({ type: "custom", name: "x", format: { type: "grammar" } }));
});

Deno.test("a full Codex request body validates and keeps every field", () => {
  const body = {
    model: "gpt-5.1-codex",
    instructions: "base",
    input: ITEMS,
    tools: [],
    tool_choice: "auto",
    parallel_tool_calls: false,
    reasoning: { effort: "medium", summary: "auto" },
    store: false,
    stream: true,
    include: ["reasoning.encrypted_content"],
    prompt_cache_key: uuidv7(),
    text: { verbosity: "low" },
    client_metadata: { "x-codex-installation-id": "abc" },
    previous_response_id: null,
    max_output_tokens: 1000,
  };
  assert.deepEqual(ResponsesRequest.parse(body), body);
  assert.throws(() => ResponsesRequest.parse({ ...body, model: 5 }));
});

const EVENTS = [
  { type: "response.created", response: { id: "resp_1" } },
  { type: "response.in_progress", response: { id: "resp_1", status: "in_progress" } },
  { type: "response.output_item.added", output_index: 0, item: ITEMS[2] },
  {
    type: "response.content_part.added",
    item_id: "msg_1",
    output_index: 0,
    content_index: 0,
    part: { type: "output_text", text: "" },
  },
  {
    type: "response.output_text.delta",
    item_id: "msg_1",
    output_index: 0,
    content_index: 0,
    delta: "h",
  },
  {
    type: "response.output_text.done",
    item_id: "msg_1",
    output_index: 0,
    content_index: 0,
    text: "hi",
  },
  {
    type: "response.content_part.done",
    item_id: "msg_1",
    output_index: 0,
    content_index: 0,
    part: { type: "output_text", text: "hi" },
  },
  { type: "response.function_call_arguments.delta", item_id: "fc_1", delta: '{"c' },
  { type: "response.function_call_arguments.done", item_id: "fc_1", arguments: "{}" },
  { type: "response.custom_tool_call_input.delta", item_id: "ctc_1", delta: "***" },
  { type: "response.custom_tool_call_input.done", item_id: "ctc_1", input: "*** Begin Patch" },
  { type: "response.reasoning_summary_part.added", item_id: "rs_1", summary_index: 0 },
  { type: "response.reasoning_summary_text.delta", item_id: "rs_1", summary_index: 0, delta: "t" },
  { type: "response.reasoning_summary_text.done", item_id: "rs_1", summary_index: 0, text: "t" },
  { type: "response.reasoning_text.delta", item_id: "rs_1", content_index: 0, delta: "r" },
  { type: "response.reasoning_text.done", item_id: "rs_1", content_index: 0, text: "r" },
  { type: "response.output_item.done", output_index: 0, item: ITEMS[4] },
  {
    type: "response.completed",
    response: {
      id: "resp_1",
      usage: {
        input_tokens: 10,
        input_tokens_details: { cached_tokens: 2 },
        output_tokens: 5,
        output_tokens_details: { reasoning_tokens: 1 },
        total_tokens: 15,
      },
    },
  },
  {
    type: "response.failed",
    response: { id: "resp_1", error: { code: "server_error", message: "boom" } },
  },
  {
    type: "response.incomplete",
    response: { id: "resp_1", incomplete_details: { reason: "max_output_tokens" } },
  },
  { type: "error", code: "rate_limit_exceeded", message: "slow down" },
];

Deno.test("every streaming event Codex uses parses to its typed form", () => {
  for (const event of EVENTS) {
    const parsed = parseEvent(JSON.stringify(event));
    assert.ok(isKnownEvent(parsed), event.type);
    assert.deepEqual(parsed, event);
  }
});

Deno.test("unknown events pass through; malformed known events are typed errors", () => {
  const future = parseEvent(JSON.stringify({ type: "response.future_thing", payload: { x: 1 } }));
  assert.equal(isKnownEvent(future), false);
  assert.deepEqual(future, { type: "response.future_thing", payload: { x: 1 } });
  assert.throws(
    () => parseEvent(JSON.stringify({ type: "response.output_text.delta", delta: 5 })),
    (err) =>
      err instanceof MalformedEventError && err.eventType === "response.output_text.delta" &&
      /delta/.test(err.message),
  );
  assert.throws(() => parseEvent("{not json"), MalformedEventError);
  assert.throws(() => parseEvent("[1,2]"), MalformedEventError);
  // The SSE event name stands in when the payload carries no type.
  assert.equal(
    parseEvent(JSON.stringify({ response: { id: "r" } }), "response.created").type,
    "response.created",
  );
});

async function collect(chunks: string[]): Promise<Array<{ event?: string; data: string }>> {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
  const out: Array<{ event?: string; data: string }> = [];
  for await (const message of readSse(body)) out.push({ event: message.event, data: message.data });
  return out;
}

Deno.test("SSE writer output is read back by the SSE reader, across arbitrary chunking", async () => {
  const text = EVENTS.map((event) => encodeJsonEvent(event)).join("") +
    encodeSseFrame({ event: "multi", data: "line one\nline two" });
  // Split into 7-byte chunks so frames straddle chunk boundaries.
  const chunks = text.match(/[\s\S]{1,7}/g) ?? [];
  const messages = await collect([": keep-alive comment\n\n", ...chunks]);
  assert.equal(messages.length, EVENTS.length + 1);
  messages.slice(0, -1).forEach((message, i) => {
    assert.equal(message.event, EVENTS[i].type);
    assert.deepEqual(JSON.parse(message.data), EVENTS[i]);
  });
  assert.deepEqual(messages.at(-1), { event: "multi", data: "line one\nline two" });
});

Deno.test("SSE writer refuses newlines in event names", () => {
  assert.throws(() => encodeSseFrame({ event: "a\nb", data: "x" }), /must not contain CR or LF/);
});

Deno.test("uuidv7 carries the timestamp, version 7 and the RFC variant", () => {
  const id = uuidv7(0x0123456789ab);
  assert.match(id, /^01234567-89ab-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.notEqual(uuidv7(), uuidv7());
});
