// The proxy in front of a scripted Anthropic-messages backend, over real HTTP.
import assert from "node:assert/strict";
import { anthropic, type BackendReply, type Outcome, runThrough, userText } from "./testing.ts";
import { SIGNATURE_PREFIX } from "./conversation.ts";

type Json = Record<string, unknown>;

const run = (replies: BackendReply[], requests: Json[], downstreamKey?: string) =>
  runThrough("messages", replies, requests, { downstreamKey });

function output(outcome: Outcome): Json[] {
  assert.equal(outcome.error, undefined, outcome.error?.message ?? "");
  return ((outcome.events.at(-1) as Json).response as Json).output as Json[];
}

const EXEC_TOOL = {
  type: "function",
  name: "exec_command",
  description: "Run a command.",
  parameters: { type: "object", properties: { cmd: { type: "string" } } },
};

Deno.test("serve/messages: thinking keeps its signature, text streams, usage counts cache tokens", async () => {
  const { outcomes, backend } = await run(
    [{
      chunks: [
        anthropic.start(10, 80, 5),
        ...anthropic.thinking(0, "Let me think.", "sig-AAA"),
        ...anthropic.text(1, "Hi ", "there."),
        ...anthropic.stop("end_turn", 6),
      ],
    }],
    [{ instructions: "Be kind.", input: [userText("hello")] }],
    "ak-secret",
  );
  const items = output(outcomes[0]);
  assert.deepEqual(items.map((i) => i.type), ["reasoning", "message"]);
  assert.deepEqual(items[0].content, [{ type: "reasoning_text", text: "Let me think." }]);
  assert.equal(items[0].encrypted_content, `${SIGNATURE_PREFIX}sig-AAA`);
  assert.equal((items[1].content as Json[])[0].text, "Hi there.");
  const response = (outcomes[0].events.at(-1) as Json).response as Json;
  assert.deepEqual(response.usage, {
    input_tokens: 95,
    input_tokens_details: { cached_tokens: 80, cache_creation_input_tokens: 5 },
    output_tokens: 6,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: 101,
  });
  const request = backend.requests[0];
  assert.equal(request.path, "/v1/messages");
  assert.equal(request.headers["x-api-key"], "ak-secret");
  assert.equal(request.headers["anthropic-version"], "2023-06-01");
  assert.equal(request.headers.authorization, undefined);
  assert.deepEqual(request.body, {
    model: "test-model",
    max_tokens: 32000,
    messages: [{ role: "user", content: [{ type: "text", text: "hello" }] }],
    stream: true,
    system: [{ type: "text", text: "Be kind." }],
  });
});

Deno.test("serve/messages: tool_use round trip with thinking, tool_result and tool_choice mapping", async () => {
  const { outcomes, backend } = await run([
    {
      chunks: [
        anthropic.start(20),
        ...anthropic.thinking(0, "Need ls.", "sig-B"),
        ...anthropic.toolUse(1, "toolu_1", "exec_command", '{"cmd":', '"ls"}'),
        ...anthropic.stop("tool_use", 9),
      ],
    },
    {
      chunks: [
        anthropic.start(30),
        ...anthropic.text(0, "Listed."),
        ...anthropic.stop("end_turn", 2),
      ],
    },
  ], [
    {
      input: [userText("list")],
      tools: [EXEC_TOOL],
      tool_choice: "required",
      parallel_tool_calls: false,
      max_output_tokens: 1000,
    },
    {
      input: [
        { type: "message", role: "developer", content: [{ type: "input_text", text: "dev" }] },
        userText("list"),
        {
          type: "reasoning",
          summary: [],
          content: [{ type: "reasoning_text", text: "Need ls." }],
          encrypted_content: `${SIGNATURE_PREFIX}sig-B`,
        },
        // Reasoning the backend never signed cannot be replayed to it.
        { type: "reasoning", summary: [{ type: "summary_text", text: "unsigned" }] },
        {
          type: "function_call",
          call_id: "toolu_1",
          name: "exec_command",
          arguments: '{"cmd":"ls"}',
        },
        { type: "function_call_output", call_id: "toolu_1", output: "a.txt\n" },
      ],
      tools: [EXEC_TOOL],
      tool_choice: { type: "function", name: "exec_command" },
    },
  ]);
  const items = output(outcomes[0]);
  assert.deepEqual(items.map((i) => i.type), ["reasoning", "function_call"]);
  assert.equal(items[1].call_id, "toolu_1");
  assert.equal(items[1].arguments, '{"cmd":"ls"}');
  const deltas = outcomes[0].events.filter((e) =>
    e.type === "response.function_call_arguments.delta"
  );
  assert.deepEqual(deltas.map((e) => (e as Json).delta), ['{"cmd":', '"ls"}']);

  const [first, second] = backend.bodies;
  assert.equal(first.max_tokens, 1000);
  assert.deepEqual(first.tools, [{
    name: "exec_command",
    description: "Run a command.",
    input_schema: EXEC_TOOL.parameters,
  }]);
  assert.deepEqual(first.tool_choice, { type: "any", disable_parallel_tool_use: true });
  assert.deepEqual(second.tool_choice, { type: "tool", name: "exec_command" });
  assert.deepEqual(second.system, [{ type: "text", text: "dev" }]);
  assert.deepEqual(second.messages, [
    { role: "user", content: [{ type: "text", text: "list" }] },
    {
      role: "assistant",
      content: [
        { type: "thinking", thinking: "Need ls.", signature: "sig-B" },
        { type: "tool_use", id: "toolu_1", name: "exec_command", input: { cmd: "ls" } },
      ],
    },
    {
      role: "user",
      content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "a.txt\n" }],
    },
  ]);
});

Deno.test("serve/messages: a custom tool call comes back as custom_tool_call", async () => {
  const { outcomes } = await run([{
    chunks: [
      anthropic.start(5),
      ...anthropic.toolUse(0, "toolu_p", "apply_patch", '{"input":"*** Begin Patch\\n"}'),
      ...anthropic.stop("tool_use", 3),
    ],
  }], [{
    input: [userText("patch")],
    tools: [{ type: "custom", name: "apply_patch", description: "Edit files." }],
  }]);
  const [call] = output(outcomes[0]);
  assert.equal(call.type, "custom_tool_call");
  assert.equal(call.input, "*** Begin Patch\n");
  assert.equal(call.call_id, "toolu_p");
});

Deno.test("serve/messages: disconnects, error events and HTTP errors end in response.failed", async () => {
  const cases: Array<[BackendReply, RegExp, string]> = [
    [
      {
        chunks: [anthropic.start(5), ...anthropic.toolUse(0, "t", "exec_command", '{"cm')],
        end: "close",
      },
      /closed the stream before message_stop/,
      "server_error",
    ],
    [
      {
        chunks: [anthropic.start(5), {
          type: "error",
          error: { type: "overloaded_error", message: "busy" },
        }],
      },
      /reported an error mid-stream: overloaded_error: busy/,
      "server_error",
    ],
    [{ status: 529, body: '{"type":"error"}' }, /answered HTTP 529/, "server_error"],
    [
      { status: 401, body: "invalid x-api-key" },
      /answered HTTP 401: invalid x-api-key/,
      "invalid_prompt",
    ],
  ];
  for (const [reply, pattern, code] of cases) {
    const { outcomes } = await run([reply], [{ input: [userText("q")], tools: [EXEC_TOOL] }]);
    const error = outcomes[0].error!;
    assert.ok(error, String(pattern));
    assert.match(error.message, pattern);
    assert.equal(error.code, code);
  }
});

Deno.test("serve/messages: a reasoning-only answer is retried once, and max_tokens ends incomplete", async () => {
  const thinkOnly: BackendReply = {
    chunks: [
      anthropic.start(5),
      ...anthropic.thinking(0, "hmm", "s"),
      ...anthropic.stop("end_turn", 1),
    ],
  };
  const { outcomes, backend } = await run([
    thinkOnly,
    {
      chunks: [anthropic.start(5), ...anthropic.text(0, "cut"), ...anthropic.stop("max_tokens", 1)],
    },
  ], [{ input: [userText("q")] }]);
  assert.equal(backend.bodies.length, 2);
  const last = outcomes[0].events.at(-1) as Json;
  assert.equal(last.type, "response.incomplete");
  assert.deepEqual(((last.response as Json).output as Json[]).map((i) => i.type), ["message"]);
  assert.equal((((last.response as Json).usage) as Json).output_tokens, 2);
});
