// Everything serve sends back validates against the Open Responses specification's schemas
// (src/protocol/open_responses.ts): every streamed event, the response objects in them, the
// non-streaming answer, GET /v1/responses/{id}, its input items, compaction and deletion. Run over
// real HTTP in front of both backend wires, with text, reasoning, every kind of tool call, a mock
// web search, an incomplete and a failed response.
import assert from "node:assert/strict";
import type { z } from "zod";
import {
  SpecCompaction,
  SpecDeleted,
  SpecEvent,
  SpecItemList,
  SpecResponse,
} from "../protocol/testing.ts";
import type { ResponseEvent } from "../protocol/mod.ts";
import type { DownstreamApi } from "./downstream.ts";
import {
  anthropic,
  assertConsistentStream,
  type BackendReply,
  chat,
  postJson,
  rawEvents,
  ScriptedBackend,
  startProxy,
} from "./testing.ts";

type Json = Record<string, unknown>;

function valid(schema: z.ZodType, value: unknown, what: string): void {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    assert.fail(
      `${what} breaks the specification:\n${issues.join("\n")}\n${JSON.stringify(value)}`,
    );
  }
}

const TOOLS = [
  { type: "function", name: "get_weather", parameters: { type: "object", properties: {} } },
  { type: "function", name: "now" },
  { type: "custom", name: "apply_patch", description: "Edit files." },
  {
    type: "namespace",
    name: "mcp__files__",
    tools: [{ type: "function", name: "read", parameters: { type: "object" } }],
  },
  { type: "web_search" },
];

const SETTINGS = {
  model: "m",
  instructions: "Be brief.",
  tools: TOOLS,
  tool_choice: "auto",
  reasoning: { effort: "high", summary: "auto" },
  text: { verbosity: "low" },
  metadata: { run: "schema" },
  temperature: 0.5,
  max_output_tokens: 400,
};

function replies(api: DownstreamApi): BackendReply[] {
  if (api === "chat") {
    return [
      {
        chunks: [
          chat.delta({ reasoning_content: "Thinking." }),
          ...chat.text("Hello ", "there."),
          chat.finish("stop"),
          chat.usage(12, 4, 2, 1),
        ],
      },
      {
        chunks: [
          ...chat.toolCall(0, "call_a", "get_weather", '{"city":"Oslo"}'),
          ...chat.toolCall(1, "call_b", "apply_patch", '{"input":"*** Begin Patch"}'),
          ...chat.toolCall(2, "call_c", "mcp__files__read", "{}"),
          chat.finish("tool_calls"),
        ],
      },
      {
        chunks: [
          ...chat.toolCall(0, "call_s", "web_search", '{"query":"x"}'),
          chat.finish("tool_calls"),
        ],
      },
      { chunks: [...chat.text("Nothing found."), chat.finish("stop")] },
      { chunks: [...chat.text("cut"), chat.finish("length")] },
      { status: 500, body: "backend down" },
      { chunks: [...chat.text("Plain."), chat.finish("stop"), chat.usage(3, 1)] },
      { chunks: [...chat.text("The user asked about weather."), chat.finish("stop")] },
    ];
  }
  const text = (t: string, stop = "end_turn") => ({
    chunks: [anthropic.start(5), ...anthropic.text(0, t), ...anthropic.stop(stop, 2)],
  });
  return [
    {
      chunks: [
        anthropic.start(12, 2),
        ...anthropic.thinking(0, "Thinking.", "sig"),
        ...anthropic.text(1, "Hello ", "there."),
        ...anthropic.stop("end_turn", 4),
      ],
    },
    {
      chunks: [
        anthropic.start(8),
        ...anthropic.toolUse(0, "toolu_a", "get_weather", '{"city":"Oslo"}'),
        ...anthropic.toolUse(1, "toolu_b", "apply_patch", '{"input":"*** Begin Patch"}'),
        ...anthropic.toolUse(2, "toolu_c", "mcp__files__read", "{}"),
        ...anthropic.stop("tool_use", 3),
      ],
    },
    {
      chunks: [
        anthropic.start(8),
        ...anthropic.toolUse(0, "toolu_s", "web_search", '{"query":"x"}'),
        ...anthropic.stop("tool_use", 3),
      ],
    },
    text("Nothing found."),
    text("cut", "max_tokens"),
    { status: 500, body: "backend down" },
    text("Plain."),
    text("The user asked about weather."),
  ];
}

for (const api of ["chat", "messages"] as const) {
  Deno.test(`serve/schema: everything serve sends validates against the specification (${api})`, async () => {
    const backend = await new ScriptedBackend(api, replies(api)).start();
    const proxy = await startProxy(backend);
    const base = proxy.url;
    let checked = 0;
    const check = (schema: z.ZodType, value: unknown, what: string) => {
      valid(schema, value, what);
      checked++;
    };
    try {
      const streams: Json[][] = [];
      for (const input of ["hi", "weather?", "search", "long", "fail"]) {
        const events = await rawEvents(base, { ...SETTINGS, input });
        assertConsistentStream(events as ResponseEvent[]);
        events.forEach((event, i) => {
          assert.equal(event.sequence_number, i, "sequence_number counts from 0");
          check(SpecEvent, event, `${input}: event ${i} (${event.type})`);
        });
        streams.push(events);
      }
      const terminals = streams.map((events) => events.at(-1)!);
      assert.deepEqual(
        terminals.map((e) => e.type),
        [
          "response.completed",
          "response.completed",
          "response.completed",
          "response.incomplete",
          "response.failed",
        ],
      );
      const first = terminals[0].response as Json;
      assert.equal(first.instructions, "Be brief.");
      assert.deepEqual(first.metadata, { run: "schema" });
      assert.equal(first.temperature, 0.5);
      assert.equal(first.max_output_tokens, 400);
      assert.deepEqual(first.reasoning, { effort: "high", summary: "auto" });
      assert.deepEqual(first.text, { verbosity: "low", format: { type: "text" } });
      assert.equal(typeof first.completed_at, "number");
      assert.equal((terminals[3].response as Json).completed_at, null);

      // One JSON object for stream: false, equal in shape to the streamed one.
      const plain = await postJson(`${base}/responses`, { ...SETTINGS, input: "plain" });
      assert.equal(plain.status, 200);
      assert.match(plain.headers.get("content-type") ?? "", /application\/json/);
      const object = await plain.json();
      check(SpecResponse, object, "the non-streaming answer");
      assert.equal(object.status, "completed");

      const retrieved = await (await fetch(`${base}/responses/${first.id}`)).json();
      check(SpecResponse, retrieved, "GET /v1/responses/{id}");
      assert.deepEqual(retrieved, first, "retrieve answers what the stream ended with");

      const items = await (await fetch(`${base}/responses/${first.id}/input_items`)).json();
      check(SpecItemList, items, "GET /v1/responses/{id}/input_items");

      const compacted = await postJson(`${base}/responses/compact`, {
        model: "m",
        previous_response_id: first.id,
        input: "compact this",
      });
      assert.equal(compacted.status, 200);
      check(SpecCompaction, await compacted.json(), "POST /v1/responses/compact");

      const deleted = await fetch(`${base}/responses/${first.id}`, { method: "DELETE" });
      check(SpecDeleted, await deleted.json(), "DELETE /v1/responses/{id}");
      assert.ok(checked > 50, `only ${checked} objects were checked`);
    } finally {
      await proxy.close();
      await backend.close();
    }
  });
}
