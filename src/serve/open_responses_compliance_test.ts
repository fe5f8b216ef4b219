// The Open Responses compliance suite's cases (openresponses/openresponses, its
// compliance-tests list: the same requests and the same pass rules), written here against serve
// over real HTTP, SSE and WebSockets, in front of a scripted chat backend and a scripted
// Anthropic-messages backend. Everything serve answers is checked with our own zod types of the
// specification (src/protocol/open_responses.ts); a case passes when the canonical one would.
import assert from "node:assert/strict";
import type { z } from "zod";
import { readSse } from "../protocol/mod.ts";
import { SpecCompaction, SpecEvent, SpecResponse, SpecSocketError } from "../protocol/testing.ts";
import { within } from "../testing/mod.ts";
import type { DownstreamApi } from "./downstream.ts";
import {
  anthropic,
  type BackendReply,
  chat,
  postJson,
  type RunningProxy,
  ScriptedBackend,
  startProxy,
} from "./testing.ts";
import { SocketClient } from "./websocket_testing.ts";

type Json = Record<string, unknown>;

const MODEL = "compliance-model";

/** The issues of `value` against `schema`, as `path: message` lines. */
function issues(schema: z.ZodType, value: unknown, what: string): string[] {
  const parsed = schema.safeParse(value);
  if (parsed.success) return [];
  return parsed.error.issues.map((i) => `${what}: ${i.path.join(".")}: ${i.message}`);
}

function assertNoIssues(found: string[], context: unknown): void {
  if (found.length > 0) assert.fail(`${found.join("\n")}\n${JSON.stringify(context, null, 1)}`);
}

function textReply(api: DownstreamApi, text: string): BackendReply {
  return api === "chat"
    ? { chunks: [...chat.text(...text.split(/(?<= )/)), chat.finish("stop"), chat.usage(9, 3)] }
    : {
      chunks: [
        anthropic.start(9),
        ...anthropic.text(0, ...text.split(/(?<= )/)),
        ...anthropic.stop("end_turn", 3),
      ],
    };
}

function toolReply(api: DownstreamApi): BackendReply {
  return api === "chat"
    ? {
      chunks: [
        ...chat.toolCall(0, "call_weather", "get_weather", '{"location":', '"San Francisco, CA"}'),
        chat.finish("tool_calls"),
        chat.usage(20, 8),
      ],
    }
    : {
      chunks: [
        anthropic.start(20),
        ...anthropic.toolUse(
          0,
          "toolu_weather",
          "get_weather",
          '{"location":',
          '"San Francisco, CA"}',
        ),
        ...anthropic.stop("tool_use", 8),
      ],
    };
}

/** A backend answering with `replies` (then plain text) and serve in front of it, for `body`. */
async function withServe(
  api: DownstreamApi,
  replies: BackendReply[],
  body: (proxy: RunningProxy, backend: ScriptedBackend) => Promise<void>,
): Promise<void> {
  const all = [
    ...replies,
    ...Array.from({ length: 4 }, () => textReply(api, "Hello there, friend.")),
  ];
  const backend = await new ScriptedBackend(api, all).start();
  const proxy = await startProxy(backend);
  try {
    await body(proxy, backend);
  } finally {
    await proxy.close();
    await backend.close();
  }
}

/** A non-streaming create: HTTP 200 and a response object that validates. */
async function create(proxy: RunningProxy, request: Json): Promise<Json> {
  const response = await within(
    postJson(`${proxy.url}/responses`, { ...request, stream: false }),
    "serve's answer to a non-streaming create",
  );
  const text = await within(response.text(), "the body of serve's answer");
  assert.equal(response.status, 200, `HTTP ${response.status}: ${text}`);
  const object = JSON.parse(text);
  assertNoIssues(issues(SpecResponse, object, "response"), object);
  return object;
}

/** A streamed create over SSE: every event validates; the last terminal event's response. */
async function createStreamed(
  proxy: RunningProxy,
  request: Json,
): Promise<{ events: Json[]; final: Json }> {
  const response = await within(
    postJson(`${proxy.url}/responses`, { ...request, stream: true }),
    "serve's answer to a streaming create",
  );
  assert.equal(response.status, 200, `HTTP ${response.status}`);
  const read = async () => {
    const events: Json[] = [];
    for await (const message of readSse(response.body!)) {
      if (message.data !== "[DONE]") events.push(JSON.parse(message.data));
    }
    return events;
  };
  const events = await within(read(), "serve's event stream");
  assert.ok(events.length > 0, "no streaming events received");
  assertNoIssues(events.flatMap((e, i) => issues(SpecEvent, e, `event ${i} (${e.type})`)), events);
  const final = [...events].reverse().find((e) => TERMINAL.has(String(e.type)))?.response as Json;
  assert.ok(final, "the stream has no terminal event");
  assertNoIssues(issues(SpecResponse, final, "final response"), final);
  return { events, final };
}

const TERMINAL = new Set(["response.completed", "response.failed", "response.incomplete"]);

/** How one WebSocket turn ended, as the suite reads it. */
interface Turn {
  events: Json[];
  final?: Json;
  error?: Json;
  /** Messages that break the specification's event schemas. */
  issues: string[];
}

/** Sends `request` on `client` and reads up to its terminal or `error` event. */
async function turn(client: SocketClient, request: Json): Promise<Turn> {
  client.send({ type: "response.create", ...request });
  const events = await client.untilTerminal();
  const last = events[events.length - 1];
  const found = events.flatMap((e, i) =>
    issues(e.type === "error" ? SpecSocketError : SpecEvent, e, `message ${i} (${e.type})`)
  );
  return last.type === "error"
    ? { events, error: last, issues: found }
    : { events, final: last.response as Json, issues: found };
}

function errorCode(turn: Turn): unknown {
  return (turn.error?.error as Json | undefined)?.code ?? (turn.final?.error as Json | null)?.code;
}

/** The suite's rule for a continuation of a response serve no longer has. */
function assertNotFound(turn: Turn): void {
  assertNoIssues(turn.issues, turn.events);
  assert.equal(errorCode(turn), "previous_response_not_found");
}

/** The suite's rules for a WebSocket turn that must complete: valid events, a completed response. */
function assertCompletedTurn(turn: Turn, what: string): Json {
  assertNoIssues(turn.issues, turn.events);
  assert.ok(turn.events.length > 0, `${what}: no events`);
  assert.ok(turn.final, `${what}: no terminal response: ${JSON.stringify(turn.error)}`);
  assertNoIssues(issues(SpecResponse, turn.final, `${what}: response`), turn.final);
  assert.equal(turn.final.status, "completed", `${what}: status`);
  return turn.final;
}

async function socket(proxy: RunningProxy): Promise<SocketClient> {
  // The headers the suite's own WebSocket client sends.
  return await SocketClient.connect(proxy.url, {
    authorization: "Bearer compliance",
    "content-type": "application/json",
  });
}

async function session<T>(
  proxy: RunningProxy,
  body: (client: SocketClient) => Promise<T>,
): Promise<T> {
  const client = await socket(proxy);
  try {
    return await body(client);
  } finally {
    await client.close();
  }
}

const hasOutput = (response: Json) =>
  assert.ok((response.output as Json[]).length > 0, "the response has no output items");
const hasOutputType = (response: Json, type: string) =>
  assert.ok(
    (response.output as Json[]).some((item) => item.type === type),
    `no output item of type ${type}: ${JSON.stringify(response.output)}`,
  );

const userMessage = (content: unknown) => ({ type: "message", role: "user", content });

const WEATHER_TOOL = {
  type: "function",
  name: "get_weather",
  description: "Get the current weather for a location",
  parameters: {
    type: "object",
    properties: { location: { type: "string", description: "The city and state" } },
    required: ["location"],
  },
};

// A 1×1 PNG as a data URL, as the suite's image-input case sends one (its own is 32×32).
const PNG =
  "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

type Case = (api: DownstreamApi) => Promise<void> | void;

const CASES: Record<string, Case> = {
  "basic-response": (api) =>
    withServe(api, [], async (proxy) => {
      const response = await create(proxy, {
        model: MODEL,
        input: [userMessage("Say hello in exactly 3 words.")],
      });
      hasOutput(response);
      assert.equal(response.status, "completed");
    }),

  "assistant-phase": (api) =>
    withServe(api, [], async (proxy, backend) => {
      const response = await create(proxy, {
        model: MODEL,
        input: [
          { type: "message", role: "assistant", phase: "commentary", content: "I should answer." },
          {
            type: "message",
            role: "assistant",
            phase: "final_answer",
            content: "The number is four.",
          },
          userMessage("Repeat only the number."),
        ],
      });
      hasOutput(response);
      assert.equal(response.status, "completed");
      assert.match(JSON.stringify(backend.bodies[0]), /The number is four\./);
    }),

  // A schema fact, no request: a response whose assistant messages carry phase labels is valid.
  "response-output-phase-schema": () => {
    const message = (id: string, phase: string, text: string) => ({
      id,
      type: "message",
      status: "completed",
      role: "assistant",
      phase,
      content: [{ type: "output_text", text, annotations: [] }],
    });
    const response = {
      id: "resp_phase",
      object: "response",
      created_at: 1764967971,
      completed_at: 1764967972,
      status: "completed",
      incomplete_details: null,
      model: MODEL,
      previous_response_id: null,
      instructions: null,
      output: [
        message("msg_1", "commentary", "Checking."),
        message("msg_2", "final_answer", "Four."),
      ],
      error: null,
      tools: [],
      tool_choice: "auto",
      truncation: "disabled",
      parallel_tool_calls: true,
      text: { format: { type: "text" } },
      top_p: 1,
      presence_penalty: 0,
      frequency_penalty: 0,
      top_logprobs: 0,
      temperature: 1,
      reasoning: { effort: null, summary: null },
      usage: {
        input_tokens: 1,
        output_tokens: 2,
        total_tokens: 3,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens_details: { reasoning_tokens: 0 },
      },
      max_output_tokens: null,
      max_tool_calls: null,
      store: true,
      background: false,
      service_tier: "default",
      metadata: {},
      safety_identifier: null,
      prompt_cache_key: null,
    };
    assertNoIssues(issues(SpecResponse, response, "phase fixture"), response);
    const phases = response.output.map((item) => item.phase);
    assert.deepEqual(phases, ["commentary", "final_answer"]);
  },

  "streaming-response": (api) =>
    withServe(api, [], async (proxy) => {
      const { final } = await createStreamed(proxy, {
        model: MODEL,
        input: [userMessage("Count from 1 to 5.")],
      });
      assert.equal(final.status, "completed");
    }),

  "websocket-response": (api) =>
    withServe(api, [], async (proxy) => {
      const first = await session(proxy, (client) =>
        turn(client, { model: MODEL, input: [userMessage("Count from 1 to 3.")] }));
      assertCompletedTurn(first, "turn 1");
    }),

  "websocket-sequential-responses": (api) =>
    withServe(api, [], async (proxy) => {
      await session(proxy, async (client) => {
        for (const word of ["first", "second"]) {
          const result = await turn(client, {
            model: MODEL,
            store: false,
            input: `Reply with exactly: ${word}`,
          });
          assertCompletedTurn(result, word);
        }
      });
    }),

  "websocket-continuation": (api) =>
    withServe(api, [], async (proxy, backend) => {
      await session(proxy, async (client) => {
        const first = assertCompletedTurn(
          await turn(client, { model: MODEL, store: false, input: "Remember: cobalt. Reply OK." }),
          "turn 1",
        );
        assert.ok(first.id);
        const second = await turn(client, {
          model: MODEL,
          store: false,
          previous_response_id: first.id,
          input: "What is the code word?",
        });
        assertCompletedTurn(second, "turn 2");
      });
      assert.match(JSON.stringify(backend.bodies[1]), /cobalt/, "turn 2 carries turn 1");
    }),

  "websocket-reconnect-store-false-recovery": (api) =>
    withServe(api, [], async (proxy) => {
      const first = await session(proxy, (client) =>
        turn(client, { model: MODEL, store: false, input: "Remember: copper. Reply OK." }));
      const id = assertCompletedTurn(first, "turn 1").id;
      await session(proxy, async (client) => {
        const reconnect = await turn(client, {
          model: MODEL,
          store: false,
          previous_response_id: id,
          input: "Continue after reconnecting.",
        });
        assertNotFound(reconnect);
        const recovery = await turn(client, {
          model: MODEL,
          store: false,
          input: [userMessage("Start again and reply: recovered")],
        });
        assertCompletedTurn(recovery, "recovery");
      });
    }),

  "websocket-previous-response-not-found": (api) =>
    withServe(api, [], async (proxy) => {
      const result = await session(proxy, (client) =>
        turn(client, {
          model: MODEL,
          store: false,
          previous_response_id: `resp_openresponses_missing_${Date.now()}`,
          input: "This should fail.",
        }));
      assertNotFound(result);
    }),

  "websocket-failed-continuation-evicts-cache": (api) =>
    withServe(api, [], async (proxy, backend) => {
      await session(proxy, async (client) => {
        const id = assertCompletedTurn(
          await turn(client, { model: MODEL, store: false, input: "Remember: ember. Reply OK." }),
          "turn 1",
        ).id;
        const failed = await turn(client, {
          model: MODEL,
          store: false,
          previous_response_id: id,
          input: [{
            type: "function_call_output",
            call_id: "call_openresponses_missing",
            output: "No matching tool call exists.",
          }],
        });
        const failedTurn = failed.error !== undefined || errorCode(failed) ||
          failed.final?.status === "failed";
        assert.ok(failedTurn, `turn 2 did not fail: ${JSON.stringify(failed.events.at(-1))}`);
        const retry = await turn(client, {
          model: MODEL,
          store: false,
          previous_response_id: id,
          input: "Try to continue after the failed turn.",
        });
        assertNotFound(retry);
      });
      assert.equal(backend.bodies.length, 1, "only turn 1 reached the backend");
    }),

  "websocket-compact-new-chain": (api) =>
    withServe(api, [textReply(api, "The code word is slate.")], async (proxy) => {
      const compacted = await within(
        postJson(`${proxy.url}/responses/compact`, {
          model: MODEL,
          input: [
            userMessage([{ type: "input_text", text: "Remember the code word: slate." }]),
            { type: "message", role: "assistant", content: [{ type: "output_text", text: "OK." }] },
            userMessage([{ type: "input_text", text: "Compress this conversation." }]),
          ],
        }),
        "serve's compaction",
      );
      const body = await within(compacted.json(), "the compaction body");
      assert.equal(compacted.status, 200, JSON.stringify(body));
      assert.ok(Array.isArray(body.output), "the compaction has no output array");
      const result = await session(proxy, (client) =>
        turn(client, {
          model: MODEL,
          store: false,
          input: [...body.output, userMessage("Continue from here. Reply: compacted")],
          tools: [],
        }));
      assertCompletedTurn(result, "the new chain");
    }),

  "system-prompt": (api) =>
    withServe(api, [], async (proxy, backend) => {
      const response = await create(proxy, {
        model: MODEL,
        input: [
          { type: "message", role: "system", content: "You are a pirate." },
          userMessage("Say hello."),
        ],
      });
      hasOutput(response);
      assert.equal(response.status, "completed");
      assert.match(JSON.stringify(backend.bodies[0]), /You are a pirate\./);
    }),

  "tool-calling": (api) =>
    withServe(api, [toolReply(api)], async (proxy) => {
      const response = await create(proxy, {
        model: MODEL,
        input: [userMessage("What's the weather like in San Francisco?")],
        tools: [WEATHER_TOOL],
      });
      hasOutput(response);
      hasOutputType(response, "function_call");
    }),

  // An earlier version of the suite's list; kept, as its rules still describe serve's stream.
  "tool-calling-streaming": (api) =>
    withServe(api, [toolReply(api)], async (proxy) => {
      const { events } = await createStreamed(proxy, {
        model: MODEL,
        input: [userMessage("What's the weather like in San Francisco?")],
        tools: [WEATHER_TOOL],
      });
      const has = (type: string, item?: string) =>
        events.some((e) => e.type === type && (!item || (e.item as Json).type === item));
      assert.ok(has("response.output_item.added", "function_call"));
      assert.ok(has("response.function_call_arguments.delta"));
      assert.ok(has("response.function_call_arguments.done"));
      assert.ok(has("response.output_item.done", "function_call"));
    }),

  "image-input": (api) =>
    withServe(api, [], async (proxy, backend) => {
      const response = await create(proxy, {
        model: MODEL,
        input: [userMessage([
          { type: "input_text", text: "What do you see in this image?" },
          { type: "input_image", image_url: PNG },
        ])],
      });
      hasOutput(response);
      assert.equal(response.status, "completed");
      assert.match(
        JSON.stringify(backend.bodies[0]),
        /iVBORw0KGgo/,
        "the image reached the backend",
      );
    }),

  "multi-turn": (api) =>
    withServe(api, [], async (proxy, backend) => {
      const response = await create(proxy, {
        model: MODEL,
        input: [
          userMessage("My name is Alice."),
          { type: "message", role: "assistant", content: "Hello Alice!" },
          userMessage("What is my name?"),
        ],
      });
      hasOutput(response);
      assert.equal(response.status, "completed");
      assert.match(JSON.stringify(backend.bodies[0]), /Hello Alice!/);
    }),

  "compact-response": (api) =>
    withServe(api, [textReply(api, "Launch Tuesday; notify support first.")], async (proxy) => {
      const answer = await within(
        postJson(`${proxy.url}/responses/compact`, {
          model: MODEL,
          prompt_cache_key: "openresponses-compact-test",
          input: [
            userMessage("We agreed to launch on Tuesday and notify support first."),
            { type: "message", role: "assistant", content: "Understood: Tuesday, support first." },
          ],
        }),
        "serve's compaction",
      );
      const body = await within(answer.json(), "the compaction body");
      assert.equal(answer.status, 200, JSON.stringify(body));
      assertNoIssues(issues(SpecCompaction, body, "compaction"), body);
      hasOutput(body);
      assert.equal(body.object, "response.compaction");
      hasOutputType(body, "compaction");
    }),

  "compact-missing-model": (api) =>
    withServe(api, [], async (proxy, backend) => {
      const answer = await within(
        postJson(`${proxy.url}/responses/compact`, {
          input: [userMessage("Compact this conversation.")],
        }),
        "serve's answer to a compaction without a model",
      );
      const body = await within(answer.json(), "the error body");
      assert.ok(
        [400, 422].includes(answer.status),
        `HTTP ${answer.status}: ${JSON.stringify(body)}`,
      );
      assert.equal(body.error.param, "model");
      assert.equal(backend.bodies.length, 0);
    }),
};

for (const api of ["chat", "messages"] as const) {
  Deno.test(`serve/open-responses: the compliance suite's cases pass in front of a ${api} backend`, async (t) => {
    for (const [name, run] of Object.entries(CASES)) {
      await t.step(name, () => run(api));
    }
  });
}
