// Sub-agents end to end: a real main Agent and real nested Agents against scripted backends over
// HTTP, the replies and notification messages checked against upstream 0.115.0's captures.
import assert from "node:assert/strict";
import { z } from "zod";
import { requestInvariantViolations } from "../fake/mod.ts";
import type { ResponseItem } from "../protocol/mod.ts";
import { defaultTools, defineFunctionTool, ProcessManager } from "../tools/mod.ts";
import { forkedHistory, SubAgentManager, type SubAgentManagerOptions } from "./subagents.ts";
import {
  collabAgent,
  type CollabBackend,
  collabBackend,
  deferred,
  outputOf,
  textOf,
} from "./testdata/collab.ts";
import type { ScenarioInput } from "../fake/mod.ts";

const call = (call_id: string, name: string, args: Record<string, unknown>) => ({
  type: "function_call" as const,
  call_id,
  name,
  arguments: args,
});
const say = (text: string) => ({ output: [{ type: "message" as const, text }] });
const calls = (...items: ReturnType<typeof call>[]) => ({ output: items });

/** A tool that blocks until released, or until its call is aborted. */
function holdTool(entered: () => void, released: Promise<void>) {
  return defineFunctionTool({
    kind: "function",
    name: "hold",
    description: "waits for the test",
    parameters: z.object({}),
    async execute(_args, ctx) {
      entered();
      await Promise.race([
        released,
        new Promise((_, reject) =>
          ctx.signal.addEventListener("abort", () => reject(new Error("aborted")), { once: true })
        ),
      ]);
      return "released";
    },
  });
}

interface Setup {
  backend: CollabBackend;
  manager: SubAgentManager;
  main: Awaited<ReturnType<typeof collabAgent>>;
  close(): Promise<void>;
}

/**
 * A main agent with the default tools plus `extra`, whose sub-agents get the sub-agent subset
 * plus `childExtra`; sub-agent ids are agent-1, agent-2, ….
 */
async function setup(
  main: ScenarioInput,
  sub?: ScenarioInput,
  options: {
    extra?: ReturnType<typeof holdTool>[];
    childExtra?: () => ReturnType<typeof holdTool>[];
    manager?: Partial<SubAgentManagerOptions>;
  } = {},
): Promise<Setup> {
  const backend = await collabBackend(main, sub);
  let ids = 0;
  const childProcesses = new ProcessManager();
  const manager = new SubAgentManager({
    childTools: () => {
      const registry = defaultTools(childProcesses, { userInput: false });
      for (const tool of options.childExtra?.() ?? []) registry.register(tool);
      return registry;
    },
    childHeaders: (sessionId) => ({ turnId }) => ({ session_id: sessionId, "x-turn": turnId }),
    newAgentId: () => `agent-${++ids}`,
    ...options.manager,
  });
  const agent = await collabAgent(backend, (processes) => {
    const registry = defaultTools(processes);
    for (const tool of options.extra ?? []) registry.register(tool);
    manager.register(registry);
    return registry;
  });
  manager.attach(agent.agent);
  return {
    backend,
    manager,
    main: agent,
    close: async () => {
      await manager.shutdown();
      agent.processes.killAll();
      childProcesses.killAll();
      await backend.close();
    },
  };
}

function assertWellFormed(backend: CollabBackend): void {
  for (const request of [...backend.main.requests, ...backend.sub.requests]) {
    assert.deepEqual(requestInvariantViolations(request.body), []);
  }
}

const notification = (agentId: string, status: unknown) =>
  `<subagent_notification>\n${JSON.stringify({ agent_id: agentId, status })}\n` +
  `</subagent_notification>`;

Deno.test("spawn_agent + wait_agent: the helper runs with its own session, tools and header; the notification follows the wait", async () => {
  const t = await setup({
    responses: [
      calls(call("c1", "spawn_agent", { message: "Say hi from the child" })),
      calls(call("c2", "wait_agent", { ids: ["agent-1"], timeout_ms: 20000 })),
      say("All done."),
    ],
  }, { responses: [say("Hi from child.")] });
  try {
    const result = await t.main.agent.runTurn(["Spawn a helper"]);
    assert.equal(result.lastMessage, "All done.");
    const inputs = t.main.inputs();
    const spawned = JSON.parse(String(outputOf(inputs[1], "c1")));
    assert.deepEqual(Object.keys(spawned), ["agent_id", "nickname"]);
    assert.equal(spawned.agent_id, "agent-1");
    assert.match(spawned.nickname, /^[A-Z][a-z]+$/);
    // Upstream's wait reply, then its notification as the next item, in the same turn.
    const last = inputs[2];
    const waitIndex = last.findIndex((item) =>
      item.type === "function_call_output" &&
      item.call_id === "c2"
    );
    assert.equal(
      last[waitIndex].output,
      '{"status":{"agent-1":{"completed":"Hi from child."}},"timed_out":false}',
    );
    assert.deepEqual(last.slice(waitIndex + 1), [{
      type: "message",
      role: "user",
      content: [{
        type: "input_text",
        text: notification("agent-1", { completed: "Hi from child." }),
      }],
    }]);

    const [child] = t.backend.sub.requests;
    assert.equal(t.backend.sub.requests.length, 1);
    assert.equal(child.headers["x-openai-subagent"], "collab_spawn");
    assert.equal(child.headers["session_id"], "agent-1");
    const body = child.body as {
      prompt_cache_key: string;
      tools: Array<{ name?: string; type: string }>;
      input: ResponseItem[];
    };
    assert.equal(body.prompt_cache_key, "agent-1");
    assert.deepEqual(body.tools.map((tool) => tool.name ?? tool.type), [
      "exec_command",
      "write_stdin",
      "update_plan",
      "apply_patch",
      "web_search",
      "view_image",
    ]);
    // Its own conversation: the session's context, then the task.
    assert.deepEqual(body.input.slice(0, 2), inputs[0].slice(0, 2));
    assert.equal(textOf(body.input[2]), "Say hi from the child");
    assert.equal(body.input.length, 3);
    assert.equal(t.main.agent.history.filter((i) => textOf(i)?.startsWith("<subagent")).length, 1);
    assertWellFormed(t.backend);
  } finally {
    await t.close();
  }
});

Deno.test("spawn_agent with fork_context: the helper starts from the answered part of the conversation", async () => {
  const t = await setup({
    responses: [
      calls(call("c1", "exec_command", { cmd: "echo forked" })),
      {
        output: [
          { type: "reasoning", summary: ["thinking"], encrypted_content: "ENC" },
          { type: "message", text: "Forking now." },
          call("c2", "spawn_agent", { message: "continue the work", fork_context: true }),
          call("c3", "update_plan", { plan: [{ step: "x", status: "pending" }] }),
        ],
      },
      calls(call("c4", "wait_agent", { ids: ["agent-1"] })),
      say("All done."),
    ],
  }, { responses: [say("child done")] });
  try {
    await t.main.agent.runTurn(["go"]);
    const input = (t.backend.sub.requests[0].body as { input: ResponseItem[] }).input;
    const parentSoFar = t.main.inputs()[1];
    // The whole answered history, the reasoning and the message included …
    const forked = input.slice(0, parentSoFar.length + 2);
    assert.deepEqual(forked, [
      ...parentSoFar,
      {
        type: "reasoning",
        summary: [{ type: "summary_text", text: "thinking" }],
        content: null,
        encrypted_content: "ENC",
      },
      {
        type: "message",
        role: "assistant",
        content: [{ type: "output_text", text: "Forking now." }],
      },
    ]);
    // … but not the calls still unanswered when the helper was made (its own spawn among them).
    const callIds = input.filter((item) => item.type === "function_call").map((i) => i.call_id);
    assert.deepEqual(callIds, ["c1"]);
    // Then the helper's own context and its task.
    assert.deepEqual(input.slice(forked.length), [
      ...parentSoFar.slice(0, 2),
      {
        type: "message",
        role: "user",
        content: [{ type: "input_text", text: "continue the work" }],
      },
    ]);
    assertWellFormed(t.backend);
  } finally {
    await t.close();
  }
});

Deno.test("send_input with interrupt steers the helper's running turn; without, it queues a new turn", async () => {
  const release = deferred();
  const t = await setup({
    responses: [
      calls(call("c1", "spawn_agent", { message: "work" })),
      calls(call("c2", "send_input", { id: "agent-1", message: "also this", interrupt: true })),
      calls(call("c3", "wait_agent", { ids: ["agent-1"] })),
      calls(call("c4", "send_input", { id: "agent-1", message: "next" })),
      calls(call("c5", "wait_agent", { ids: ["agent-1"] })),
      say("All done."),
    ],
  }, {
    responses: [
      calls(call("h1", "hold", {})),
      say("did both"),
      say("did next"),
    ],
  }, { childExtra: () => [holdTool(() => {}, release.promise)] });
  t.main.agent.options.onEvent = (event) => {
    // The helper stays inside `hold` until the steer is in.
    if (event.type === "tool_completed" && event.call.call_id === "c2") release.resolve();
  };
  try {
    await t.main.agent.runTurn(["go"]);
    const inputs = t.main.inputs();
    assert.match(String(outputOf(inputs[2], "c2")), /^\{"submission_id":"[0-9a-f-]{36}"\}$/);
    assert.equal(
      outputOf(inputs[3], "c3"),
      '{"status":{"agent-1":{"completed":"did both"}},"timed_out":false}',
    );
    assert.equal(
      outputOf(inputs[5], "c5"),
      '{"status":{"agent-1":{"completed":"did next"}},"timed_out":false}',
    );
    const child = t.backend.sub.requests;
    assert.equal(child.length, 3);
    // The steer joined the running turn after the tool output, under the same turn id …
    const second = (child[1].body as { input: ResponseItem[] }).input;
    assert.deepEqual(second.slice(-2).map((item) => item.type), [
      "function_call_output",
      "message",
    ]);
    assert.equal(textOf(second.at(-1)), "also this");
    assert.equal(child[1].headers["x-turn"], child[0].headers["x-turn"]);
    // … while the plain send became a turn of its own.
    assert.notEqual(child[2].headers["x-turn"], child[1].headers["x-turn"]);
    assert.equal(textOf((child[2].body as { input: ResponseItem[] }).input.at(-1)), "next");
    const notices = t.main.agent.history.map(textOf).filter((text) =>
      text?.startsWith("<subagent_notification>")
    );
    assert.deepEqual(notices, [
      notification("agent-1", { completed: "did both" }),
      notification("agent-1", { completed: "did next" }),
    ]);
    assertWellFormed(t.backend);
  } finally {
    await t.close();
  }
});

Deno.test("close_agent stops a busy helper (shutdown notice, then unknown); resume_agent brings it back with its history", async () => {
  const held = deferred();
  const never = new Promise<void>(() => {});
  const sync = defineFunctionTool({
    kind: "function",
    name: "sync",
    description: "waits until the helper is busy",
    parameters: z.object({}),
    async execute() {
      await held.promise;
      return "helper is busy";
    },
  });
  const t = await setup(
    {
      responses: [
        calls(call("c1", "spawn_agent", { message: "long task" })),
        calls(call("c2", "sync", {})),
        calls(call("c3", "wait_agent", { ids: ["agent-1"], timeout_ms: 1 })),
        calls(call("c4", "close_agent", { id: "agent-1" })),
        calls(
          call("c5", "wait_agent", { ids: ["agent-1"] }),
          call("c6", "send_input", { id: "agent-1", message: "x" }),
          call("c7", "close_agent", { id: "agent-1" }),
          call("c8", "resume_agent", { id: "agent-9" }),
        ),
        calls(call("c9", "resume_agent", { id: "agent-1" })),
        calls(call("c10", "send_input", { id: "agent-1", message: "again" })),
        calls(call("c11", "wait_agent", { ids: ["agent-1"] })),
        say("All done."),
      ],
    },
    { responses: [calls(call("h1", "hold", {})), say("again done")] },
    {
      extra: [sync],
      childExtra: () => [holdTool(() => held.resolve(), never)],
      manager: { minWaitMs: 1 },
    },
  );
  try {
    await t.main.agent.runTurn(["go"]);
    const inputs = t.main.inputs();
    assert.equal(outputOf(inputs[3], "c3"), '{"status":{},"timed_out":true}');
    assert.equal(outputOf(inputs[4], "c4"), '{"status":"running"}');
    // The interrupted turn ends as shutdown, and says so.
    assert.equal(textOf(inputs[4].at(-1)), notification("agent-1", "shutdown"));
    assert.equal(outputOf(inputs[5], "c5"), '{"status":{"agent-1":"not_found"},"timed_out":false}');
    assert.equal(outputOf(inputs[5], "c6"), "agent with id agent-1 not found");
    assert.equal(outputOf(inputs[5], "c7"), "agent with id agent-1 not found");
    assert.equal(outputOf(inputs[5], "c8"), "agent with id agent-9 not found");
    assert.equal(outputOf(inputs[6], "c9"), '{"status":"pending_init"}');
    assert.equal(
      outputOf(inputs[8], "c11"),
      '{"status":{"agent-1":{"completed":"again done"}},"timed_out":false}',
    );
    // The resumed helper still has its first turn, the aborted call answered.
    const resumed = (t.backend.sub.requests[1].body as { input: ResponseItem[] }).input;
    assert.deepEqual(resumed.slice(2).map((item) => [item.type, textOf(item) ?? item.output]), [
      ["message", "long task"],
      ["function_call", undefined],
      ["function_call_output", "aborted"],
      ["message", "again"],
    ]);
    assertWellFormed(t.backend);
  } finally {
    await t.close();
  }
});

Deno.test("spawn_agent: model and reasoning effort apply to the helper's requests; images travel as input_image", async () => {
  const t = await setup({
    responses: [
      calls(call("c1", "spawn_agent", {
        items: [{ type: "image", image_url: "data:image/png;base64,iVBORw0KGgo=" }, {
          type: "text",
          text: "describe it",
        }],
        model: "gpt-5.1-codex-mini",
        reasoning_effort: "high",
      })),
      calls(call("c2", "wait_agent", { ids: ["agent-1"] })),
      say("done"),
    ],
  }, { responses: [say("a picture")] });
  try {
    await t.main.agent.runTurn(["go"]);
    const body = t.backend.sub.requests[0].body as {
      model: string;
      reasoning: unknown;
      input: ResponseItem[];
    };
    assert.equal(body.model, "gpt-5.1-codex-mini");
    assert.deepEqual(body.reasoning, { effort: "high", summary: "auto" });
    assert.deepEqual(body.input.at(-1), {
      type: "message",
      role: "user",
      content: [
        { type: "input_image", image_url: "data:image/png;base64,iVBORw0KGgo=" },
        { type: "input_text", text: "describe it" },
      ],
    });
    // The main agent's own requests are untouched.
    assert.equal((t.backend.main.requests[0].body as { model: string }).model, "gpt-5.1-codex");
  } finally {
    await t.close();
  }
});

Deno.test("a helper that fails reports errored to wait_agent and in its notification", async () => {
  const t = await setup({
    responses: [
      calls(call("c1", "spawn_agent", { message: "fail" })),
      calls(call("c2", "wait_agent", { ids: ["agent-1"] })),
      say("done"),
    ],
  }, {
    responses: [{
      output: [],
      fault: { kind: "http_status", status: 400, body: { error: { message: "bad input" } } },
    }],
  });
  try {
    await t.main.agent.runTurn(["go"]);
    const reply = JSON.parse(String(outputOf(t.main.inputs()[2], "c2")));
    assert.deepEqual(Object.keys(reply.status["agent-1"]), ["errored"]);
    assert.match(reply.status["agent-1"].errored, /bad input/);
  } finally {
    await t.close();
  }
});

Deno.test("a notification that arrives while the main agent is idle opens its next turn", async () => {
  const t = await setup({ responses: [say("first"), say("second")] });
  try {
    await t.main.agent.runTurn(["one"]);
    t.main.agent.enqueueInput([{
      type: "message",
      role: "user",
      content: [{ type: "input_text", text: "<subagent_notification>x</subagent_notification>" }],
    }]);
    await t.main.agent.runTurn(["two"]);
    const input = t.main.inputs()[1];
    assert.deepEqual(input.slice(-2).map(textOf), [
      "<subagent_notification>x</subagent_notification>",
      "two",
    ]);
  } finally {
    await t.close();
  }
});

Deno.test("spawn_agent stops at the thread limit (upstream's 6 by default); closing a helper frees its place", async () => {
  const spawns = Array.from(
    { length: 8 },
    (_, i) => call(`s${i + 1}`, "spawn_agent", { message: "x" }),
  );
  const t = await setup({
    responses: [
      calls(...spawns),
      calls(call("c1", "close_agent", { id: "agent-1" })),
      calls(call("c2", "spawn_agent", { message: "y" })),
      calls(call("c3", "spawn_agent", { message: "z" })),
      say("done"),
    ],
    after_last: "repeat_last",
  }, { responses: [say("ok")], after_last: "repeat_last" });
  try {
    await t.main.agent.runTurn(["go"]);
    const inputs = t.main.inputs();
    const refused = "collab spawn failed: agent thread limit reached (max 6)";
    const replies = spawns.map((spawn) => String(outputOf(inputs[1], spawn.call_id)));
    const spawned = replies.filter((reply) => reply.startsWith('{"agent_id"'));
    assert.equal(spawned.length, 6, replies.join("\n"));
    assert.deepEqual(replies.filter((reply) => !reply.startsWith("{")), [refused, refused]);
    assert.match(String(outputOf(inputs[3], "c2")), /^\{"agent_id":"agent-7"/);
    assert.equal(outputOf(inputs[4], "c3"), refused);
  } finally {
    await t.close();
  }
});

Deno.test("the sub-agent tools check their arguments as upstream does", async () => {
  const t = await setup({
    responses: [
      calls(
        call("c1", "spawn_agent", {}),
        call("c2", "spawn_agent", { message: "a", items: [{ type: "text", text: "b" }] }),
        call("c3", "spawn_agent", { message: "a", reasoning_effort: "extreme" }),
        call("c4", "wait_agent", { ids: [] }),
        call("c5", "wait_agent", { ids: ["agent-1"], timeout_ms: 0 }),
        call("c6", "send_input", { id: "agent-1" }),
      ),
      say("done"),
    ],
  });
  try {
    await t.main.agent.runTurn(["go"]);
    const input = t.main.inputs()[1];
    assert.deepEqual(["c1", "c2", "c4", "c5", "c6"].map((id) => outputOf(input, id)), [
      "Provide one of: message or items",
      "Provide either message or items, but not both",
      "ids must be non-empty",
      "timeout_ms must be greater than zero",
      "Provide one of: message or items",
    ]);
    assert.match(String(outputOf(input, "c3")), /^Reasoning effort `extreme` is not supported/);
    assert.equal(t.backend.sub.requests.length, 0);
  } finally {
    await t.close();
  }
});

Deno.test("forkedHistory keeps only calls that have their outputs", () => {
  const items: ResponseItem[] = [
    { type: "function_call", name: "a", arguments: "{}", call_id: "1" },
    { type: "function_call_output", call_id: "1", output: "ok" },
    { type: "custom_tool_call", call_id: "2", name: "apply_patch", input: "x" },
    { type: "function_call_output", call_id: "9", output: "orphan" },
    { type: "message", role: "assistant", content: [] },
  ];
  assert.deepEqual(forkedHistory(items).map((item) => item.call_id ?? item.type), [
    "1",
    "1",
    "message",
  ]);
});
