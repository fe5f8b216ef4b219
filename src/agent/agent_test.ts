import assert from "node:assert/strict";
import { mkdtemp, realpath } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import {
  FakeResponsesServer,
  parseScenario,
  requestInvariantViolations,
  type ScenarioInput,
} from "../fake/mod.ts";
import { ResponsesClient } from "../model/mod.ts";
import type { ResponseItem } from "../protocol/mod.ts";
import {
  defineFunctionTool,
  execCommandTools,
  ProcessManager,
  ToolRegistry,
} from "../tools/mod.ts";
import { makeFifo, tempDir, within, writeFifo } from "../testing/mod.ts";
import { Agent, type AgentEvent, type AgentOptions, TurnInterruptedError } from "./agent.ts";
import { SubmissionQueue } from "./queue.ts";
import { SUMMARY_PREFIX } from "./compact.ts";

interface Harness {
  agent: Agent;
  server: FakeResponsesServer;
  events: AgentEvent[];
  /** Resolves when an event of `type` has been emitted (at once if one already was). */
  emitted: (type: AgentEvent["type"]) => Promise<void>;
  bodies: () => Array<{ input: ResponseItem[]; tools: unknown[]; [k: string]: unknown }>;
  processes: ProcessManager;
  cwd: string;
  close: () => Promise<void>;
}

async function harness(
  scenario: ScenarioInput,
  options: Partial<AgentOptions> & {
    extraTools?: ToolRegistry["get"] extends never ? never
      : Parameters<ToolRegistry["register"]>[0][];
  } = {},
): Promise<Harness> {
  const server = new FakeResponsesServer(parseScenario(scenario));
  await server.start();
  const cwd = await realpath(await mkdtemp(join(tmpdir(), "agent-test-")));
  const processes = new ProcessManager();
  const events: AgentEvent[] = [];
  const waiters: Array<{ type: AgentEvent["type"]; resolve: () => void }> = [];
  const tools = new ToolRegistry([...execCommandTools(processes), ...(options.extraTools ?? [])]);
  const agent = new Agent({
    client: new ResponsesClient({ baseUrl: server.baseUrl, streamIdleTimeoutMs: 10_000 }),
    model: "test-model",
    baseInstructions: "base",
    tools,
    cwd,
    maxRetries: 0,
    initialContext: [{
      type: "message",
      role: "user",
      content: [{ type: "input_text", text: "<environment_context>x</environment_context>" }],
    }],
    onEvent: (event) => {
      events.push(event);
      for (const waiter of waiters.filter((w) => w.type === event.type)) waiter.resolve();
    },
    ...options,
  });
  return {
    agent,
    server,
    events,
    emitted: (type) =>
      events.some((e) => e.type === type) ? Promise.resolve() : new Promise((resolve) => {
        waiters.push({ type, resolve });
      }),
    processes,
    cwd,
    bodies: () => server.requests.map((r) => r.body as never),
    close: async () => {
      processes.killAll();
      await server.close();
    },
  };
}

/** A script: one exec_command call running `cmd`, then a final message. */
function commandThenMessage(callId: string, cmd: string, text: string): ScenarioInput {
  return {
    responses: [
      {
        output: [{
          type: "function_call",
          call_id: callId,
          name: "exec_command",
          arguments: { cmd },
        }],
      },
      { output: [{ type: "message", text }] },
    ],
  };
}

function assertInvariants(h: Harness): void {
  for (const body of h.bodies()) assert.deepEqual(requestInvariantViolations(body), []);
}

Deno.test("tool loop: a real command's framed output is fed back; history is in replay form", async () => {
  const h = await harness({
    responses: [
      {
        output: [
          { type: "reasoning", summary: ["look"], encrypted_content: "enc" },
          {
            type: "function_call",
            call_id: "c1",
            name: "exec_command",
            arguments: { cmd: "echo hello-from-tool" },
          },
        ],
      },
      { output: [{ type: "message", text: "saw {{output:c1}}" }] },
    ],
  });
  try {
    const result = await h.agent.runTurn(["go"]);
    assert.equal(result.lastMessage, "saw hello-from-tool");
    assert.equal(result.iterations, 2);
    const second = h.bodies()[1].input;
    assert.deepEqual(second.map((i) => i.type), [
      "message",
      "message",
      "reasoning",
      "function_call",
      "function_call_output",
    ]);
    assert.deepEqual(second[2], {
      type: "reasoning",
      summary: [{ type: "summary_text", text: "look" }],
      content: null,
      encrypted_content: "enc",
    });
    assert.deepEqual(Object.keys(second[3]), ["type", "name", "arguments", "call_id"]);
    const output = String(second[4].output);
    assert.match(
      output,
      /^Command: .*echo hello-from-tool'\nChunk ID: [0-9a-f]{6}\nWall time: \d+\.\d{4} seconds\nProcess exited with code 0\nOriginal token count: \d+\nOutput:\nhello-from-tool\n$/,
    );
    const last = h.agent.history.at(-1) as { content: Array<Record<string, unknown>> };
    assert.deepEqual(
      last.content,
      [{ type: "output_text", text: "saw hello-from-tool" }],
      "no annotations, no id",
    );
    assertInvariants(h);
    const kinds = h.events.map((e) => e.type);
    assert.equal(kinds[0], "turn_started");
    assert.equal(kinds.at(-1), "turn_completed");
    assert.ok(
      kinds.includes("tool_started") && kinds.includes("tool_completed") &&
        kinds.includes("token_count"),
    );
  } finally {
    await h.close();
  }
});

for (const parallelToolCalls of [true, false]) {
  // Upstream's router runs parallel-safe tools together whatever the request's
  // parallel_tool_calls said: that flag only tells the model it may ask for several.
  Deno.test(`parallel-safe calls run concurrently and their outputs keep call order (parallel_tool_calls ${parallelToolCalls})`, async () => {
    let release!: () => void;
    const bothStarted = new Promise<void>((resolve) => (release = resolve));
    let started = 0;
    const barrier = defineFunctionTool({
      kind: "function",
      name: "barrier",
      description: "waits for its sibling",
      parallel: true,
      parameters: z.object({ tag: z.string() }),
      async execute(args) {
        if (++started === 2) release();
        // Sequential execution would wait here forever; the deadline turns that into a failure.
        await within(bothStarted, "the sibling call to run concurrently");
        return `done ${args.tag}`;
      },
    });
    const h = await harness({
      responses: [
        {
          output: [
            { type: "function_call", call_id: "a", name: "barrier", arguments: { tag: "first" } },
            { type: "function_call", call_id: "b", name: "barrier", arguments: { tag: "second" } },
          ],
        },
        { output: [{ type: "message", text: "ok" }] },
      ],
    }, { parallelToolCalls, extraTools: [barrier] });
    try {
      await h.agent.runTurn(["go"]);
      const outputs = h.bodies()[1].input.filter((i) => i.type === "function_call_output");
      assert.deepEqual(outputs.map((o) => [o.call_id, o.output]), [["a", "done first"], [
        "b",
        "done second",
      ]]);
      assert.equal(h.bodies()[0].parallel_tool_calls, parallelToolCalls);
    } finally {
      await h.close();
    }
  });
}

Deno.test("interrupt cancels a running command, pairs the call, and the next turn works", async () => {
  const h = await harness({
    responses: [
      {
        output: [{
          type: "function_call",
          call_id: "long",
          name: "exec_command",
          arguments: { cmd: "sleep 30", yield_time_ms: 30000 },
        }],
      },
      { output: [{ type: "message", text: "after" }] },
    ],
  });
  try {
    const abort = new AbortController();
    const turn = h.agent.runTurn(["start"], abort.signal);
    await within(h.emitted("tool_started"), "the command to start");
    abort.abort();
    await assert.rejects(turn, TurnInterruptedError);
    assert.ok(h.events.some((e) => e.type === "turn_interrupted"));
    const outputs = h.agent.history.filter((i) => i.type === "function_call_output");
    assert.equal(outputs.length, 1);
    // Recorded as upstream records an interrupt: how long the call ran, then a notice.
    assert.match(String(outputs[0].output), /^aborted by user after \d+\.\ds$/);
    assert.match(
      JSON.stringify(h.agent.history.at(-1)),
      /^\{"type":"message","role":"user".*<turn_aborted>/,
    );
    const second = await h.agent.runTurn(["again"]);
    assert.equal(second.lastMessage, "after");
    assertInvariants(h);
  } finally {
    await h.close();
  }
});

Deno.test("a failed turn keeps the user message so the next turn can continue", async () => {
  const h = await harness({
    responses: [
      { fault: { kind: "http_status", status: 400, body: { error: { message: "bad input" } } } },
      { output: [{ type: "message", text: "recovered" }] },
    ],
  });
  try {
    await assert.rejects(h.agent.runTurn(["first"]), /400/);
    assert.ok(h.events.some((e) => e.type === "turn_failed"));
    const result = await h.agent.runTurn(["go on"]);
    assert.equal(result.lastMessage, "recovered");
    const texts = h.bodies()[1].input.filter((i) => i.type === "message").map((i) =>
      JSON.stringify(i)
    );
    assert.ok(texts.some((t) => t.includes("first")) && texts.some((t) => t.includes("go on")));
  } finally {
    await h.close();
  }
});

Deno.test("a listener that fails (a rollout that cannot be written) fails the turn, not the agent", async () => {
  const failing = new Set<string>(["turn_started", "stream_opened"]);
  const events: AgentEvent[] = [];
  const h = await harness({
    responses: [
      { output: [{ type: "message", text: "never shown" }] },
      { output: [{ type: "message", text: "written" }] },
    ],
  }, {
    onEvent: (event) => {
      events.push(event);
      if (failing.has(event.type)) throw new Error(`cannot record ${event.type}`);
    },
  });
  try {
    await assert.rejects(h.agent.runTurn(["one"]), /cannot record turn_started/);
    assert.equal(events.at(-1)?.type, "turn_failed");
    failing.delete("turn_started");
    // Thrown from inside the response stream: fatal, not retried as a broken stream.
    await assert.rejects(h.agent.runTurn(["two"]), /cannot record stream_opened/);
    assert.equal(h.server.requests.length, 1);
    failing.clear();
    assert.equal((await h.agent.runTurn(["three"])).lastMessage, "written");
  } finally {
    await h.close();
  }
});

Deno.test("steer input joins the running turn's next request under the same turn id", async () => {
  const turnIds: string[] = [];
  const h = await harness({
    responses: [
      { event_delay_ms: 40, output: [{ type: "message", text: "first answer" }] },
      { output: [{ type: "message", text: "steered answer" }] },
      { output: [{ type: "message", text: "queued answer" }] },
    ],
  }, { headers: ({ turnId }) => (turnIds.push(turnId), { "x-turn": turnId }) });
  try {
    const queue = new SubmissionQueue(h.agent);
    const first = queue.submit("hello");
    await within(h.server.waitForRequests(1), "the first request");
    const steered = queue.submit("actually, say bye");
    const queued = queue.submit("separate turn", "queue");
    assert.equal(await first, await steered, "steer settles with the turn it joined");
    assert.equal((await first).lastMessage, "steered answer");
    assert.equal((await queued).lastMessage, "queued answer");
    assert.equal(turnIds[0], turnIds[1]);
    assert.notEqual(turnIds[1], turnIds[2]);
    const second = h.bodies()[1].input;
    assert.deepEqual(second.at(-1), {
      type: "message",
      role: "user",
      content: [{ type: "input_text", text: "actually, say bye" }],
    });
    assert.ok(h.events.some((e) => e.type === "steer_inserted"));
  } finally {
    await h.close();
  }
});

Deno.test("auto-compaction replaces the history by context, user messages and a summary", async () => {
  const h = await harness({
    responses: [
      {
        output: [{ type: "message", text: "one" }],
        usage: { input_tokens: 900, output_tokens: 200 },
      },
      { output: [{ type: "message", text: "SUMMARY-TEXT" }] },
      { output: [{ type: "message", text: "two" }] },
    ],
  }, { autoCompactTokenLimit: 1000 });
  try {
    await h.agent.runTurn(["first task"]);
    await h.agent.runTurn(["second task"]);
    const [, compaction, next] = h.bodies();
    assert.deepEqual(compaction.tools, []);
    assert.match(JSON.stringify(compaction.input.at(-1)), /summary/i);
    const texts = next.input.map((i) => JSON.stringify(i));
    assert.ok(texts.some((t) => t.includes("environment_context")), "initial context kept");
    assert.ok(texts.some((t) => t.includes("first task")), "user message kept");
    assert.ok(
      texts.some((t) => t.includes(SUMMARY_PREFIX.slice(0, 30)) && t.includes("SUMMARY-TEXT")),
    );
    assert.ok(!texts.some((t) => t.includes('"one"')), "assistant output dropped");
    assert.ok(h.events.some((e) => e.type === "compaction_completed"));
  } finally {
    await h.close();
  }
});

Deno.test("a context-window overflow compacts once and retries", async () => {
  const h = await harness({
    responses: [
      { output: [{ type: "message", text: "one" }] },
      { status: "failed", error: { code: "context_length_exceeded", message: "too long" } },
      { output: [{ type: "message", text: "the summary" }] },
      { output: [{ type: "message", text: "fits now" }] },
    ],
  });
  try {
    await h.agent.runTurn(["first"]);
    const result = await h.agent.runTurn(["second"]);
    assert.equal(result.lastMessage, "fits now");
    assert.equal(h.server.requests.length, 4);
    assert.ok(
      h.events.some((e) => e.type === "compaction_started" && e.reason === "context_overflow"),
    );
  } finally {
    await h.close();
  }
});

Deno.test("an overflowing compaction request drops the oldest tool pair and succeeds", async () => {
  const h = await harness({
    responses: [
      {
        output: [{
          type: "function_call",
          call_id: "old",
          name: "exec_command",
          arguments: { cmd: "echo old" },
        }],
      },
      {
        output: [{ type: "message", text: "first done" }],
        usage: { input_tokens: 5000, output_tokens: 10 },
      },
      { status: "failed", error: { code: "context_length_exceeded", message: "summary too long" } },
      { output: [{ type: "message", text: "short summary" }] },
      { output: [{ type: "message", text: "second done" }] },
    ],
  }, { autoCompactTokenLimit: 1000 });
  try {
    await h.agent.runTurn(["first"]);
    const result = await h.agent.runTurn(["second"]);
    assert.equal(result.lastMessage, "second done");
    const [, , overflowing, retried] = h.bodies();
    assert.ok(overflowing.input.some((i) => i.call_id === "old"));
    assert.ok(
      !retried.input.some((i) => i.call_id === "old"),
      "the oldest pair is gone from the retry",
    );
    assertInvariants(h);
  } finally {
    await h.close();
  }
});

Deno.test("steer during a long tool call lands after the tool output", async () => {
  // The command runs until the test writes to its gate, after steering.
  const gate = makeFifo(await tempDir("agent-gate-"), "gate");
  const h = await harness(commandThenMessage("slow", `read -r _ < ${gate}; echo slept`, "done"));
  try {
    const queue = new SubmissionQueue(h.agent);
    const turn = queue.submit("start");
    await within(h.emitted("tool_started"), "the command to start");
    queue.submit("also check the logs");
    await writeFifo(gate, "go\n");
    await within(turn, "the turn to end");
    const second = h.bodies()[1].input;
    assert.deepEqual(second.slice(-2).map((i) => i.type), ["function_call_output", "message"]);
    assert.match(JSON.stringify(second.at(-1)), /also check the logs/);
  } finally {
    await h.close();
  }
});

Deno.test("ask() returns the final message for embedding", async () => {
  const h = await harness({
    responses: [{ output: [{ type: "message", text: "embedded answer" }] }],
  });
  try {
    assert.equal(await h.agent.ask("hi"), "embedded answer");
  } finally {
    await h.close();
  }
});

Deno.test("a long output: the history (and the next request) has it cut, listeners get it whole", async () => {
  const h = await harness(commandThenMessage("long", "seq 1 3000", "ok"));
  try {
    h.agent.options.tools.outputBudget = { mode: "bytes", limit: 1000 };
    await h.agent.runTurn(["count"], new AbortController().signal);
    const sent = h.bodies()[1].input.find((i) => i.type === "function_call_output") as {
      output: string;
    };
    // 1.2 × 1 000 bytes kept, half from the head, half from the tail.
    const kept = sent.output.replace(/…\d+ chars truncated…/, "");
    assert.equal(new TextEncoder().encode(kept).length, 1200);
    assert.match(sent.output, /^Command: [^]*…\d+ chars truncated…[^]*\n3000\n$/);
    const appended = h.events.flatMap((e) => e.type === "history_appended" ? e.items : [])
      .find((i) => i.type === "function_call_output") as { output: string };
    assert.match(appended.output, /\n1500\n/, "the rollout records the output whole");

    // Restoring that history (a resume) cuts it the same way again.
    const whole = h.events.flatMap((e) => e.type === "history_appended" ? e.items : []);
    h.agent.restoreHistory(whole);
    const restored = h.agent.history.find((i) => i.type === "function_call_output") as {
      output: string;
    };
    assert.equal(restored.output, sent.output);
    assertInvariants(h);
  } finally {
    await h.close();
  }
});
