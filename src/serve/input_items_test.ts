// Every input shape the Responses API accepts, sent over real HTTP, and what each backend wire
// receives for it; shapes serve cannot pass on are a 400 that names the field, and nothing
// reaches the backend.
import assert from "node:assert/strict";
import {
  anthropic,
  type BackendReply,
  chat,
  postJson,
  type RunningProxy,
  ScriptedBackend,
  startProxy,
} from "./testing.ts";
import type { DownstreamApi } from "./downstream.ts";

type Json = Record<string, unknown>;

const PDF = "data:application/pdf;base64,JVBERi0xLjQK";
const PNG = "data:image/png;base64,iVBORw0KGgo=";
const NOTES = `data:text/plain;base64,${btoa("line one\nline two")}`;

const reply = (api: DownstreamApi, text: string): BackendReply =>
  api === "chat" ? { chunks: [...chat.text(text), chat.finish("stop")] } : {
    chunks: [anthropic.start(3), ...anthropic.text(0, text), ...anthropic.stop("end_turn", 1)],
  };

async function withBackend(
  api: DownstreamApi,
  count: number,
  fn: (proxy: RunningProxy, backend: ScriptedBackend) => Promise<void>,
  provider?: string,
): Promise<void> {
  const replies = Array.from({ length: count }, (_, i) => reply(api, `answer ${i}`));
  const backend = await new ScriptedBackend(api, replies).start();
  const proxy = await startProxy(backend, { provider });
  try {
    await fn(proxy, backend);
  } finally {
    await proxy.close();
    await backend.close();
  }
}

/** Sends `input` (non-streaming) and returns the response object; fails on any error. */
async function send(proxy: RunningProxy, input: unknown, extra: Json = {}): Promise<Json> {
  const response = await postJson(`${proxy.url}/responses`, { model: "m", input, ...extra });
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  return body;
}

const SHAPES: Array<[string, unknown]> = [
  ["a bare string", "hello"],
  ["a message without type, string content", [{ role: "user", content: "hello" }]],
  ["a typed message, parts", [{
    type: "message",
    role: "user",
    content: [{ type: "input_text", text: "hello" }],
  }]],
];

Deno.test("serve/input: input strings, messages without type and part lists are the same user turn", async () => {
  for (const api of ["chat", "messages"] as const) {
    await withBackend(api, SHAPES.length, async (proxy, backend) => {
      for (const [, input] of SHAPES) await send(proxy, input);
      const expected = api === "chat"
        ? [{ role: "user", content: "hello" }]
        : [{ role: "user", content: [{ type: "text", text: "hello" }] }];
      for (const [i, [name]] of SHAPES.entries()) {
        assert.deepEqual(backend.bodies[i].messages, expected, `${api}: ${name}`);
      }
    });
  }
});

Deno.test("serve/input: every role, assistant history with phase, tool calls and outputs, reasoning", async () => {
  const input = [
    { role: "system", content: "sys text" },
    { role: "developer", content: [{ type: "input_text", text: "dev text" }] },
    { role: "user", content: "question" },
    { type: "reasoning", summary: [{ type: "summary_text", text: "I should look." }] },
    { role: "assistant", content: "Looking.", phase: "commentary" },
    { type: "function_call", call_id: "c1", name: "look", arguments: '{"at":"x"}' },
    { type: "function_call_output", call_id: "c1", output: "plain result" },
    { type: "function_call", call_id: "c2", name: "look", arguments: "{}" },
    {
      type: "function_call_output",
      call_id: "c2",
      output: [{ type: "input_text", text: "with a picture" }, {
        type: "input_image",
        image_url: PNG,
      }],
    },
    {
      type: "message",
      role: "assistant",
      content: [{ type: "output_text", text: "Done.", annotations: [] }],
      phase: "final_answer",
    },
  ];
  const tools = [{ type: "function", name: "look" }];
  await withBackend("chat", 1, async (proxy, backend) => {
    await send(proxy, input, { tools });
    assert.deepEqual(backend.bodies[0].messages, [
      { role: "system", content: "sys text" },
      { role: "developer", content: "dev text" },
      { role: "user", content: "question" },
      {
        role: "assistant",
        content: "Looking.",
        reasoning_content: "I should look.",
        tool_calls: [{
          id: "c1",
          type: "function",
          function: { name: "look", arguments: '{"at":"x"}' },
        }],
      },
      { role: "tool", tool_call_id: "c1", content: "plain result" },
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "c2", type: "function", function: { name: "look", arguments: "{}" } }],
      },
      { role: "tool", tool_call_id: "c2", content: "with a picture" },
      { role: "user", content: [{ type: "image_url", image_url: { url: PNG } }] },
      { role: "assistant", content: "Done." },
    ]);
  });
  await withBackend("messages", 1, async (proxy, backend) => {
    await send(proxy, input, { tools });
    const body = backend.bodies[0];
    assert.deepEqual(body.system, [{ type: "text", text: "sys text" }, {
      type: "text",
      text: "dev text",
    }]);
    const messages = body.messages as Json[];
    assert.deepEqual(messages.map((m) => m.role), [
      "user",
      "assistant",
      "user",
      "assistant",
      "user",
      "assistant",
    ]);
    assert.deepEqual((messages[4].content as Json[])[0], {
      type: "tool_result",
      tool_use_id: "c2",
      content: [
        { type: "text", text: "with a picture" },
        {
          type: "image",
          source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" },
        },
      ],
    });
  });
});

Deno.test("serve/input: images and files go where each backend can take them", async () => {
  const user = (...content: Json[]) => [{ role: "user", content }];
  const image = { type: "input_image", image_url: "https://example.com/cat.png", detail: "low" };
  const pdf = { type: "input_file", file_data: PDF, filename: "a.pdf" };
  const pdfUrl = { type: "input_file", file_url: "https://example.com/a.pdf" };
  const notes = { type: "input_file", file_data: NOTES, filename: "notes.txt" };
  await withBackend("chat", 3, async (proxy, backend) => {
    await send(proxy, user({ type: "input_text", text: "see" }, image));
    await send(proxy, user(pdf));
    await send(proxy, user(notes));
    assert.deepEqual((backend.bodies[0].messages as Json[])[0].content, [
      { type: "text", text: "see" },
      { type: "image_url", image_url: { url: "https://example.com/cat.png", detail: "low" } },
    ]);
    assert.deepEqual((backend.bodies[1].messages as Json[])[0].content, [
      { type: "file", file: { file_data: PDF, filename: "a.pdf" } },
    ]);
    assert.deepEqual(
      (backend.bodies[2].messages as Json[])[0].content,
      "[file notes.txt]\nline one\nline two",
    );
  });
  await withBackend("messages", 3, async (proxy, backend) => {
    await send(proxy, user(image));
    await send(proxy, user(pdf, pdfUrl));
    await send(proxy, user(notes));
    const blocks = (i: number) => ((backend.bodies[i].messages as Json[])[0].content) as Json[];
    assert.deepEqual(blocks(0), [{
      type: "image",
      source: { type: "url", url: "https://example.com/cat.png" },
    }]);
    assert.deepEqual(blocks(1), [
      {
        type: "document",
        source: { type: "base64", media_type: "application/pdf", data: "JVBERi0xLjQK" },
        title: "a.pdf",
      },
      { type: "document", source: { type: "url", url: "https://example.com/a.pdf" } },
    ]);
    assert.deepEqual(blocks(2), [{ type: "text", text: "[file notes.txt]\nline one\nline two" }]);
  });
});

Deno.test("serve/input: item_reference and previous_response_id find stored items; compaction comes back as a summary", async () => {
  for (const api of ["chat", "messages"] as const) {
    await withBackend(api, 5, async (proxy, backend) => {
      const first = await send(proxy, "first question");
      const [message] = first.output as Json[];
      // As the Vercel AI SDK sends history when `store` is on: references, not the items.
      await send(proxy, [
        { role: "user", content: "first question" },
        { type: "item_reference", id: message.id },
        { role: "user", content: "second" },
      ]);
      const chained = await send(proxy, "third", { previous_response_id: first.id });
      const text = (body: Json) => JSON.stringify(body.messages);
      for (const body of backend.bodies.slice(1, 3)) {
        assert.match(
          text(body),
          /first question.*answer 0.*(second|third)/s,
          `${api}: ${text(body)}`,
        );
      }
      const compacted = await postJson(`${proxy.url}/responses/compact`, {
        model: "m",
        previous_response_id: chained.id,
      });
      const { output } = await compacted.json();
      const compaction = output.at(-1);
      assert.equal(compaction.type, "compaction");
      assert.deepEqual(
        output.slice(0, -1).map((item: Json) => item.role),
        ["user", "user"],
        "the user's messages are kept",
      );
      assert.match(text(backend.bodies[3]), /Write a summary of the conversation above/);
      await send(proxy, [...output, { role: "user", content: "go on" }]);
      assert.match(
        text(backend.bodies[4] ?? {}),
        /summary of the earlier part of this conversation[^"]*answer 3/,
        "the compaction item reaches the backend as the summary it holds",
      );
    });
  }
});

Deno.test("serve/input: shapes serve cannot pass on are a 400 naming the field", async () => {
  const user = (...content: Json[]) => [{ role: "user", content }];
  const INVALID = "invalid_value";
  const UNSUPPORTED = "unsupported_value";
  const cases: Array<[unknown, string, RegExp, string]> = [
    [5, "input", /expected a string or a list of items, got a number/, INVALID],
    [["hi"], "input[0]", /expected an item object, got a string/, INVALID],
    [[{ content: "x" }], "input[0]", /needs a type \(or a role/, INVALID],
    [[{ role: "tool", content: "x" }], "input[0].role", /expected one of user, assistant/, INVALID],
    [
      user({ type: "input_audio" }),
      "input[0].content[0].type",
      /"input_audio" is not supported/,
      UNSUPPORTED,
    ],
    [
      user({ type: "input_image", file_id: "f" }),
      "input[0].content[0].image_url",
      /file_id are not supported/,
      UNSUPPORTED,
    ],
    [
      user({ type: "input_image", image_url: "ftp://x" }),
      "input[0].content[0].image_url",
      /http\(s\) URL or a data:image/,
      INVALID,
    ],
    [
      [{ role: "system", content: [{ type: "input_image", image_url: PNG }] }],
      "input[0].content[0]",
      /only accepted in user messages/,
      UNSUPPORTED,
    ],
    [
      user({ type: "input_file", file_id: "f" }),
      "input[0].content[0]",
      /files by file_id are not supported/,
      UNSUPPORTED,
    ],
    [
      user({ type: "input_file", file_data: "JVBERi0=" }),
      "input[0].content[0].file_data",
      /cannot tell what kind of file/,
      INVALID,
    ],
    [
      user({ type: "input_file", file_data: PNG }),
      "input[0].content[0]",
      /image\/png file cannot be passed/,
      UNSUPPORTED,
    ],
    [
      user({ type: "input_file", file_url: "https://x/a.pdf" }),
      "input[0].content[0]",
      /takes files as data only/,
      UNSUPPORTED,
    ],
    [
      [{ type: "item_reference", id: "msg_unknown" }],
      "input[0].id",
      /names no item this proxy has stored/,
      "item_not_found",
    ],
    [
      [{ type: "compaction", encrypted_content: "gAAAA-opaque" }],
      "input[0].encrypted_content",
      /made by another server/,
      UNSUPPORTED,
    ],
    [
      [{ type: "function_call_output", call_id: "c", output: { ok: true } }],
      "input[0].output",
      /expected a string or a list of content parts, got an object/,
      INVALID,
    ],
    [
      [
        { type: "function_call", call_id: "c", name: "f", arguments: "{}" },
        { type: "function_call_output", call_id: "c", output: "ok" },
        { type: "custom_tool_call_output", call_id: "ghost", output: "orphan" },
      ],
      "input[2]",
      /no tool call found for the custom_tool_call_output with call_id "ghost"/,
      INVALID,
    ],
    [
      [{ type: "function_call", call_id: "c", name: "f" }],
      "input[0].arguments",
      /in a function_call item/,
      INVALID,
    ],
  ];
  await withBackend("chat", 0, async (proxy, backend) => {
    for (const [input, param, message, code] of cases) {
      const response = await postJson(`${proxy.url}/responses`, { model: "m", input });
      const { error } = await response.json();
      assert.equal(response.status, 400, JSON.stringify(input));
      assert.equal(error.param, param, JSON.stringify(error));
      assert.match(error.message, message);
      assert.ok(error.message.startsWith(`${param}: `), error.message);
      assert.equal(error.code, code, error.message);
    }
    assert.equal(backend.requests.length, 0);
  });
  await withBackend("chat", 0, async (proxy, backend) => {
    const unsupported: Array<[string, unknown, RegExp]> = [
      ["background", true, /background responses are not supported/],
      ["conversation", "conv_1", /no Conversations API here/],
      ["prompt", { id: "pmpt_1" }, /stored prompt templates are not supported/],
    ];
    for (const [field, value, message] of unsupported) {
      const response = await postJson(`${proxy.url}/responses`, {
        model: "m",
        input: "x",
        [field]: value,
      });
      const { error } = await response.json();
      assert.equal(response.status, 400, field);
      assert.equal(error.param, field);
      assert.equal(error.code, "unsupported_parameter");
      assert.match(error.message, message);
    }
    assert.equal(backend.requests.length, 0);
  });
  await withBackend("chat", 0, async (proxy) => {
    const response = await postJson(`${proxy.url}/responses`, {
      model: "m",
      input: [{ role: "user", content: [{ type: "input_file", file_data: PDF }] }],
    });
    assert.equal(response.status, 400);
    assert.match((await response.json()).error.message, /chat profile vllm\) takes no PDF files/);
  }, "vllm");
});

Deno.test("serve/input: text.format asks each backend for JSON in the way it understands", async () => {
  const schema = { type: "object", properties: { ok: { type: "boolean" } }, required: ["ok"] };
  const text = { format: { type: "json_schema", name: "verdict", schema, strict: true } };
  await withBackend("chat", 2, async (proxy, backend) => {
    const echoed = await send(proxy, "judge", { text });
    await send(proxy, "judge", { text: { format: { type: "json_object" } } });
    assert.deepEqual(backend.bodies[0].response_format, {
      type: "json_schema",
      json_schema: { name: "verdict", schema, strict: true },
    });
    assert.deepEqual(backend.bodies[1].response_format, { type: "json_object" });
    assert.deepEqual(echoed.text, {
      format: { type: "json_schema", name: "verdict", schema, strict: true, description: null },
    });
  });
  await withBackend("messages", 1, async (proxy, backend) => {
    await send(proxy, "judge", { text });
    const system = JSON.stringify(backend.bodies[0].system);
    assert.match(system, /must match this JSON Schema/);
    assert.ok(system.includes(JSON.stringify(JSON.stringify(schema)).slice(1, -1)), system);
  });
});
