// The proxy in front of a scripted chat-completions backend, over real HTTP, driven by the
// project's Responses client: translated request bodies in, Responses events out.
import assert from "node:assert/strict";
import {
  type BackendReply,
  chat,
  type Outcome,
  type ProxyTestOptions,
  runThrough,
  ScriptedBackend,
  startProxy,
  userText,
} from "./testing.ts";
import { ChatStreamReader } from "./chat.ts";

type Json = Record<string, unknown>;

const run = (replies: BackendReply[], requests: Json[], options: ProxyTestOptions = {}) =>
  runThrough("chat", replies, requests, options);

function completed(outcome: Outcome): Json {
  assert.equal(outcome.error, undefined, outcome.error?.message ?? "");
  const last = outcome.events.at(-1) as Json;
  assert.equal(last.type, "response.completed");
  return last.response as Json;
}

const EXEC_TOOL = {
  type: "function",
  name: "exec_command",
  description: "Run a command.",
  parameters: { type: "object", properties: { cmd: { type: "string" } }, required: ["cmd"] },
  strict: false,
} as const;

const PATCH_TOOL = {
  type: "custom",
  name: "apply_patch",
  description: "Edit files.",
  format: { type: "grammar", syntax: "lark", definition: "start: begin_patch" },
} as const;

Deno.test("serve/chat: text streams as the full Responses event sequence with mapped usage", async () => {
  const { outcomes, bodies } = await run([{
    chunks: [
      chat.delta({ role: "assistant", content: "" }),
      ...chat.text("Hel", "lo"),
      chat.finish("stop"),
      chat.usage(120, 7, 100, 2),
    ],
  }], [{
    model: "qwen3",
    instructions: "Be brief.",
    input: [userText("Say hello")],
    max_output_tokens: 64,
  }]);
  const events = outcomes[0].events;
  assert.deepEqual(events.map((e) => e.type), [
    "response.created",
    "response.in_progress",
    "response.output_item.added",
    "response.content_part.added",
    "response.output_text.delta",
    "response.output_text.delta",
    "response.output_text.done",
    "response.content_part.done",
    "response.output_item.done",
    "response.completed",
  ]);
  const response = completed(outcomes[0]);
  assert.equal(response.model, "qwen3");
  assert.deepEqual(response.output, [{
    type: "message",
    id: (response.output as Json[])[0].id,
    role: "assistant",
    status: "completed",
    content: [{ type: "output_text", text: "Hello", annotations: [] }],
  }]);
  assert.deepEqual(response.usage, {
    input_tokens: 120,
    input_tokens_details: { cached_tokens: 100 },
    output_tokens: 7,
    output_tokens_details: { reasoning_tokens: 2 },
    total_tokens: 127,
  });
  assert.deepEqual(bodies[0], {
    model: "qwen3",
    messages: [
      { role: "developer", content: "Be brief." },
      { role: "user", content: "Say hello" },
    ],
    stream: true,
    max_tokens: 64,
    stream_options: { include_usage: true },
  });
});

Deno.test("serve/chat: a function call streams with stable ids and its output goes back as a tool message", async () => {
  const { outcomes, bodies } = await run([
    {
      chunks: [
        ...chat.toolCall(0, "call_abc", "exec_command", '{"cmd":', '"echo hi"}'),
        chat.finish("tool_calls"),
      ],
    },
    { chunks: [...chat.text("It printed hi."), chat.finish("stop")] },
  ], [
    {
      input: [userText("run it")],
      tools: [EXEC_TOOL],
      tool_choice: "auto",
      parallel_tool_calls: false,
    },
    {
      input: [
        userText("run it"),
        {
          type: "function_call",
          call_id: "call_abc",
          name: "exec_command",
          arguments: '{"cmd":"echo hi"}',
        },
        { type: "function_call_output", call_id: "call_abc", output: "hi\n" },
      ],
      tools: [EXEC_TOOL],
    },
  ]);
  const events = outcomes[0].events as Json[];
  const deltas = events.filter((e) => e.type === "response.function_call_arguments.delta");
  assert.deepEqual(deltas.map((e) => e.delta), ['{"cmd":', '"echo hi"}']);
  const argsDone = events.find((e) => e.type === "response.function_call_arguments.done")!;
  assert.equal(argsDone.arguments, '{"cmd":"echo hi"}');
  const call = (completed(outcomes[0]).output as Json[])[0];
  assert.equal(call.type, "function_call");
  assert.equal(call.call_id, "call_abc");
  assert.equal(call.name, "exec_command");
  assert.equal(argsDone.item_id, call.id);
  assert.deepEqual(bodies[0].tools, [{
    type: "function",
    function: {
      name: "exec_command",
      description: "Run a command.",
      parameters: EXEC_TOOL.parameters,
      strict: false,
    },
  }]);
  assert.equal(bodies[0].tool_choice, "auto");
  assert.equal(bodies[0].parallel_tool_calls, false);
  assert.deepEqual((bodies[1].messages as Json[]).slice(1), [
    {
      role: "assistant",
      content: null,
      tool_calls: [{
        id: "call_abc",
        type: "function",
        function: { name: "exec_command", arguments: '{"cmd":"echo hi"}' },
      }],
    },
    { role: "tool", tool_call_id: "call_abc", content: "hi\n" },
  ]);
});

Deno.test("serve/chat: a custom tool becomes a function with one `input` string and comes back as custom_tool_call", async () => {
  const patch = "*** Begin Patch\n*** Add File: a.txt\n+hi\n*** End Patch\n";
  const args = JSON.stringify({ input: patch });
  const { outcomes, bodies } = await run([
    {
      chunks: [
        ...chat.toolCall(0, "call_p", "apply_patch", args.slice(0, 10), args.slice(10)),
        chat.finish("tool_calls"),
      ],
    },
    { chunks: [...chat.text("Patched."), chat.finish("stop")] },
  ], [
    { input: [userText("add a file")], tools: [PATCH_TOOL] },
    {
      input: [
        userText("add a file"),
        { type: "custom_tool_call", call_id: "call_p", name: "apply_patch", input: patch },
        { type: "custom_tool_call_output", call_id: "call_p", output: "Success." },
      ],
      tools: [PATCH_TOOL],
    },
  ]);
  const tool = (bodies[0].tools as Json[])[0].function as Json;
  assert.equal(tool.name, "apply_patch");
  assert.deepEqual((tool.parameters as Json).required, ["input"]);
  assert.match(String(tool.description), /Edit files\.[\s\S]*lark grammar:\nstart: begin_patch/);
  const events = outcomes[0].events as Json[];
  assert.ok(!events.some((e) => e.type === "response.function_call_arguments.delta"));
  assert.equal(
    events.find((e) => e.type === "response.custom_tool_call_input.done")!.input,
    patch,
  );
  const call = (completed(outcomes[0]).output as Json[])[0];
  assert.deepEqual({ ...call, id: undefined }, {
    type: "custom_tool_call",
    id: undefined,
    call_id: "call_p",
    name: "apply_patch",
    input: patch,
    status: "completed",
  });
  const replay = bodies[1].messages as Json[];
  assert.deepEqual((replay[1].tool_calls as Json[])[0], {
    id: "call_p",
    type: "function",
    function: { name: "apply_patch", arguments: args },
  });
  assert.deepEqual(replay[2], { role: "tool", tool_call_id: "call_p", content: "Success." });
});

Deno.test("serve/chat: namespace tools are flattened downstream and restored on the call", async () => {
  const namespace = {
    type: "namespace",
    name: "mcp__files__",
    description: "File server.",
    tools: [{ type: "function", name: "read", parameters: { type: "object" } }],
  };
  const agents = {
    type: "namespace",
    name: "agents",
    tools: [{ type: "function", name: "spawn", parameters: { type: "object" } }],
  };
  const { outcomes, bodies } = await run([
    {
      chunks: [...chat.toolCall(0, "call_r", "mcp__files__read", "{}"), chat.finish("tool_calls")],
    },
    { chunks: [...chat.text("ok"), chat.finish("stop")] },
  ], [
    { input: [userText("read")], tools: [namespace, agents] },
    {
      input: [
        {
          type: "function_call",
          call_id: "c1",
          name: "spawn",
          namespace: "agents",
          arguments: "{}",
        },
        { type: "function_call_output", call_id: "c1", output: "spawned" },
      ],
      tools: [namespace, agents],
      tool_choice: { type: "function", name: "spawn", namespace: "agents" },
    },
  ]);
  assert.deepEqual(
    (bodies[0].tools as Json[]).map((t) => (t.function as Json).name),
    ["mcp__files__read", "agents__spawn"],
  );
  const call = (completed(outcomes[0]).output as Json[])[0];
  assert.equal(call.name, "read");
  assert.equal(call.namespace, "mcp__files__");
  const replayed = (bodies[1].messages as Json[])[0].tool_calls as Json[];
  assert.equal((replayed[0].function as Json).name, "agents__spawn");
  assert.deepEqual(bodies[1].tool_choice, {
    type: "function",
    function: { name: "agents__spawn" },
  });
});

Deno.test("serve/chat: reasoning is read from every field shape and replayed on the assistant turn", async () => {
  const shapes: Json[] = [
    { reasoning: "Think" },
    { reasoning_content: "Think" },
    { reasoning: { text: "Think" } },
    { reasoning_content: { content: "Think" } },
    { reasoning_details: [{ type: "reasoning.text", text: "Think" }] },
  ];
  for (const shape of shapes) {
    const { outcomes } = await run([{
      chunks: [chat.delta(shape), chat.delta({ content: "Done" }), chat.finish("stop")],
    }], [{ input: [userText("q")] }]);
    const output = completed(outcomes[0]).output as Json[];
    assert.deepEqual(
      output.map((i) => i.type),
      ["reasoning", "message"],
      JSON.stringify(shape),
    );
    assert.deepEqual(output[0].content, [{ type: "reasoning_text", text: "Think" }]);
    const types = outcomes[0].events.map((e) => e.type);
    assert.ok(types.includes("response.reasoning_text.delta"));
  }

  const history = [
    userText("q"),
    {
      type: "reasoning",
      summary: [],
      content: [{ type: "reasoning_text", text: "I should answer." }],
    },
    { type: "message", role: "assistant", content: [{ type: "output_text", text: "A." }] },
    // Opaque reasoning from another server, and reasoning with nothing after it: neither may
    // turn into a message of its own.
    { type: "reasoning", summary: [], encrypted_content: "gAAAA-opaque" },
    userText("again"),
    { type: "reasoning", summary: [{ type: "summary_text", text: "dangling" }] },
  ];
  for (const [provider, field] of [["openai", "reasoning_content"], ["vllm", "reasoning"]]) {
    const { bodies } = await run(
      [{ chunks: [...chat.text("B."), chat.finish("stop")] }],
      [{ input: history }],
      { provider },
    );
    assert.deepEqual(bodies[0].messages, [
      { role: "user", content: "q" },
      { role: "assistant", content: "A.", [field]: "I should answer." },
      { role: "user", content: "again" },
    ]);
  }
});

Deno.test("serve/chat: a reasoning-only round is retried once silently, twice fails as model_output_invalid", async () => {
  const thinkOnly: BackendReply = {
    chunks: [chat.delta({ reasoning_content: "hmm" }), chat.finish("stop")],
  };
  const recovered = await run([
    thinkOnly,
    { chunks: [...chat.text("Answer"), chat.finish("stop"), chat.usage(10, 3)] },
  ], [{ input: [userText("q")] }]);
  assert.equal(recovered.bodies.length, 2);
  assert.deepEqual(recovered.bodies[0], recovered.bodies[1]);
  const output = completed(recovered.outcomes[0]).output as Json[];
  assert.deepEqual(output.map((i) => i.type), ["message"]);

  const failed = await run([thinkOnly, thinkOnly], [{ input: [userText("q")] }]);
  assert.equal(failed.bodies.length, 2);
  const error = failed.outcomes[0].error!;
  assert.equal(error.code, "model_output_invalid");
  assert.match(error.message, /neither text nor a tool call/);
  assert.ok(!failed.outcomes[0].events.some((e) => e.type === "response.output_item.added"));
});

Deno.test("serve/chat: web_search becomes a mock function answered by a follow-up round", async () => {
  const { outcomes, bodies } = await run([
    {
      chunks: [
        chat.delta({ reasoning: "look it up" }),
        ...chat.toolCall(0, "call_ws", "web_search", '{"query":"deno 3","queries":["deno"]}'),
        chat.finish("tool_calls"),
        chat.usage(50, 5),
      ],
    },
    { chunks: [...chat.text("No results."), chat.finish("stop"), chat.usage(70, 4)] },
  ], [{ input: [userText("news?")], tools: [EXEC_TOOL, { type: "web_search" }] }]);
  assert.deepEqual(
    (bodies[0].tools as Json[]).map((t) => (t.function as Json).name),
    ["exec_command", "web_search"],
  );
  const response = completed(outcomes[0]);
  const output = response.output as Json[];
  assert.deepEqual(output.map((i) => i.type), ["reasoning", "web_search_call", "message"]);
  assert.deepEqual(output[1].action, { type: "search", query: "deno 3", queries: ["deno"] });
  assert.equal((response.usage as Json).input_tokens, 120);
  assert.equal((response.usage as Json).output_tokens, 9);
  const followUp = bodies[1];
  assert.deepEqual((followUp.tools as Json[]).map((t) => (t.function as Json).name), [
    "exec_command",
  ]);
  const messages = followUp.messages as Json[];
  assert.deepEqual(messages[1], {
    role: "assistant",
    content: null,
    reasoning_content: "look it up",
    tool_calls: [{
      id: "call_ws",
      type: "function",
      function: { name: "web_search", arguments: '{"query":"deno 3","queries":["deno"]}' },
    }],
  });
  assert.equal(messages[2].role, "tool");
  assert.equal(messages[2].tool_call_id, "call_ws");
  assert.deepEqual(JSON.parse(String(messages[2].content)).results, []);
});

Deno.test("serve/chat: a web search beside a real call gets no follow-up and comes after it", async () => {
  const { outcomes, bodies } = await run([{
    chunks: [
      ...chat.toolCall(0, "c_ws", "web_search", '{"query":"x"}'),
      ...chat.toolCall(1, "c_ex", "exec_command", '{"cmd":"ls"}'),
      chat.finish("tool_calls"),
    ],
  }], [{ input: [userText("go")], tools: [EXEC_TOOL, { type: "web_search" }] }]);
  assert.equal(bodies.length, 1);
  const output = completed(outcomes[0]).output as Json[];
  assert.deepEqual(output.map((i) => i.type), ["function_call", "web_search_call"]);
});

Deno.test("serve/chat: every tool call is answered, right after its turn, before going downstream", async () => {
  const { bodies } = await run([{ chunks: [...chat.text("ok"), chat.finish("stop")] }], [{
    input: [
      userText("go"),
      { type: "function_call", call_id: "a", name: "exec_command", arguments: "{}" },
      { type: "function_call", call_id: "b", name: "exec_command", arguments: "{}" },
      userText("interjection"),
      { type: "function_call_output", call_id: "b", output: "out b" },
      { type: "function_call", call_id: "c", name: "exec_command", arguments: "{}" },
    ],
  }]);
  const messages = bodies[0].messages as Json[];
  assert.deepEqual(messages.map((m) => m.role), [
    "user",
    "assistant",
    "tool",
    "tool",
    "user",
    "assistant",
    "tool",
  ]);
  assert.deepEqual(
    messages.filter((m) => m.role === "tool").map((m) => [m.tool_call_id, m.content]),
    [
      ["a", "no output was recorded for this tool call"],
      ["b", "out b"],
      ["c", "no output was recorded for this tool call"],
    ],
  );
});

Deno.test("serve/chat: images go as image_url parts, tool-result images in a user message after the results", async () => {
  const png = "data:image/png;base64,iVBORw0KGgo=";
  const { bodies } = await run([{ chunks: [...chat.text("a cat"), chat.finish("stop")] }], [{
    input: [
      {
        type: "message",
        role: "user",
        content: [
          { type: "input_text", text: "what is this?" },
          { type: "input_image", image_url: png, detail: "high" },
        ],
      },
      { type: "function_call", call_id: "v", name: "view_image", arguments: "{}" },
      {
        type: "function_call_output",
        call_id: "v",
        output: [{ type: "input_image", image_url: png }],
      },
    ],
  }]);
  const messages = bodies[0].messages as Json[];
  assert.deepEqual(messages[0].content, [
    { type: "text", text: "what is this?" },
    { type: "image_url", image_url: { url: png, detail: "high" } },
  ]);
  assert.deepEqual(messages[2], { role: "tool", tool_call_id: "v", content: "" });
  assert.deepEqual(messages[3], {
    role: "user",
    content: [{ type: "image_url", image_url: { url: png } }],
  });
});

Deno.test("serve/chat: the stepfun profile sends developer text as system", async () => {
  const { bodies } = await run([{ chunks: [...chat.text("ok"), chat.finish("stop")] }], [{
    instructions: "rules",
    input: [
      { type: "message", role: "developer", content: [{ type: "input_text", text: "more" }] },
      userText("hi"),
    ],
  }], { provider: "stepfun" });
  assert.deepEqual((bodies[0].messages as Json[]).slice(0, 2), [
    { role: "system", content: "rules" },
    { role: "system", content: "more" },
  ]);
});

Deno.test("serve/chat: downstream HTTP errors become response.failed naming the status and URL", async () => {
  const cases: Array<[number, string, string]> = [
    [500, "backend exploded", "server_error"],
    [429, "slow down", "rate_limit_exceeded"],
    [400, "bad tool schema", "invalid_prompt"],
    [400, "This model's maximum context length is 8192 tokens", "context_length_exceeded"],
  ];
  for (const [status, body, code] of cases) {
    const { outcomes, backend } = await run([{ status, body }], [{ input: [userText("q")] }]);
    const error = outcomes[0].error!;
    assert.ok(error, `HTTP ${status} must fail the response`);
    if (code !== "context_length_exceeded") assert.equal(error.code, code);
    assert.ok(
      error.message.includes(`${backend.url}/chat/completions answered HTTP ${status}`),
      error.message,
    );
    assert.ok(error.message.includes(body), error.message);
  }
});

Deno.test("serve/chat: a stream cut mid tool call, broken, or garbled ends in response.failed", async () => {
  const partial = chat.toolCall(0, "call_x", "exec_command", '{"cmd":"ec');
  const cases: Array<[BackendReply, RegExp]> = [
    [{ chunks: partial, end: "close" }, /closed the stream before finishing/],
    [{ chunks: partial, end: "break" }, /broke off its stream/],
    [{ chunks: [...chat.text("a"), "{not json"] }, /sent a chunk that is not JSON: \{not json/],
    [
      { chunks: [{ error: { message: "model crashed" } }] },
      /reported an error mid-stream: model crashed/,
    ],
  ];
  for (const [reply, pattern] of cases) {
    const { outcomes } = await run([reply], [{ input: [userText("q")], tools: [EXEC_TOOL] }]);
    const { error, events } = outcomes[0];
    assert.ok(error, `${pattern} must fail`);
    assert.equal(error.code, "server_error");
    assert.match(error.message, pattern);
    assert.ok(events.length >= 2, "created and in_progress come first");
  }
});

Deno.test("serve/chat: stream false answers with the complete response object", async () => {
  const backend = await new ScriptedBackend("chat", [
    { chunks: [...chat.text("Hi"), chat.finish("stop"), chat.usage(3, 1)] },
  ]).start();
  const proxy = await startProxy(backend);
  try {
    const response = await fetch(`${proxy.url}/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m", input: "hello", stream: false }),
    });
    assert.equal(response.status, 200);
    const body = await response.json();
    assert.equal(body.object, "response");
    assert.equal(body.status, "completed");
    assert.equal(body.output[0].content[0].text, "Hi");
    assert.equal(body.usage.total_tokens, 4);
    assert.deepEqual((backend.bodies[0].messages as Json[])[0], { role: "user", content: "hello" });
  } finally {
    await proxy.close();
    await backend.close();
  }
});

Deno.test("serve/chat: finish_reason length ends in response.incomplete", async () => {
  const { outcomes } = await run([{ chunks: [...chat.text("cut"), chat.finish("length")] }], [{
    input: [userText("q")],
  }]);
  const last = outcomes[0].events.at(-1) as Json;
  assert.equal(last.type, "response.incomplete");
  assert.deepEqual((last.response as Json).incomplete_details, { reason: "max_output_tokens" });
});

Deno.test("serve/chat: a backend that goes silent fails the response after the idle timeout", async () => {
  const { outcomes } = await run(
    [{ chunks: chat.text("thinking about it"), end: "stall" }],
    [{ input: [userText("q")] }],
    { idleTimeoutMs: 150 },
  );
  const error = outcomes[0].error!;
  assert.equal(error.code, "server_error");
  assert.match(error.message, /sent no events for 150 ms mid-stream/);
});

Deno.test("serve/chat: plain text chunks and every near miss read as the schema reads them", () => {
  const reader = new ChatStreamReader("http://backend/v1/chat/completions");
  const read = (chunk: unknown) => reader.read(JSON.stringify(chunk));
  const choice = (fields: Json) => ({ id: "c", choices: [{ index: 0, ...fields }] });
  // The common chunk, with the fields servers add around it.
  assert.deepEqual(
    read({
      ...choice({
        delta: { role: "assistant", content: "hi" },
        finish_reason: null,
        logprobs: null,
      }),
      object: "chat.completion.chunk",
      system_fingerprint: null,
    }),
    [{ type: "text", delta: "hi" }],
  );
  assert.deepEqual(read(choice({ delta: { content: "" } })), []);
  assert.deepEqual(read({ choices: [{ delta: { content: "no index" } }] }), [
    { type: "text", delta: "no index" },
  ]);
  assert.deepEqual(read({ choices: [{ index: 1, delta: { content: "second" } }] }), []);
  // Anything beside the text still counts.
  assert.deepEqual(read(choice({ delta: { content: "a", reasoning_content: "r" } })), [
    { type: "reasoning", delta: "r" },
    { type: "text", delta: "a" },
  ]);
  assert.deepEqual(read(choice({ delta: { content: "b" }, finish_reason: "stop" })), [
    { type: "text", delta: "b" },
    { type: "finish", reason: "stop" },
  ]);
  assert.deepEqual(read({ ...choice({ delta: { content: "c" } }), usage: { prompt_tokens: 3 } }), [
    { type: "text", delta: "c" },
    {
      type: "usage",
      usage: {
        input_tokens: 3,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: 0,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: 3,
      },
    },
  ]);
  assert.deepEqual(read(choice({ message: { content: "whole" } })), [
    { type: "text", delta: "whole" },
  ]);
  // Wrong types are malformed chunks, whichever way they are read.
  for (
    const bad of [
      choice({ delta: { content: 5 } }),
      choice({ delta: { content: "x", role: 1 } }),
      { id: 7, choices: [{ index: 0, delta: { content: "x" } }] },
      { choices: [{ index: "0", delta: { content: "x" } }] },
      { choices: "x" },
    ]
  ) {
    assert.throws(() => read(bad), /malformed chunk/, JSON.stringify(bad));
  }
  assert.throws(
    () => read({ ...choice({ delta: { content: "x" } }), error: { message: "overloaded" } }),
    /reported an error mid-stream: overloaded/,
  );
});
