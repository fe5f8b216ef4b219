// The thread events of `exec --json`, checked against what upstream 0.115.0 printed for the same
// scripted scenarios (see fixtures/upstream and docs/CONFORMANCE.md).
import assert from "node:assert/strict";
import type { AgentEvent } from "../agent/mod.ts";
import type { ToolCallItem } from "../protocol/mod.ts";
import { ContextWindowExceededError } from "../model/mod.ts";
import type { CollabCall, CommandMetadata } from "../tools/mod.ts";
import { ExecLog, palette } from "./exec_log.ts";
import { ExecView, type ThreadEvent } from "./exec_view.ts";

const turnId = "t";
const usage = {
  input_tokens: 100,
  input_tokens_details: { cached_tokens: 20 },
  output_tokens: 10,
  total_tokens: 110,
};

function run(events: AgentEvent[]): ThreadEvent[] {
  const out: ThreadEvent[] = [];
  const view = new ExecView((e) => out.push(structuredClone(e)));
  for (const event of events) view.on(event);
  return out;
}

const execCall = (id: string, args: Record<string, unknown>): ToolCallItem => ({
  type: "function_call",
  name: "exec_command",
  arguments: JSON.stringify(args),
  call_id: id,
});
const framed = (status: string, output: string) =>
  `Command: /bin/bash -lc 'x'\nChunk ID: abcdef\nWall time: 0.0010 seconds\n${status}\nOriginal token count: 1\nOutput:\n${output}`;
/** The tool's event when the command's process has started. */
const commandStarted = (
  call: ToolCallItem,
  command: string,
  cwd = "/w",
  startedAt = performance.now(),
): AgentEvent => ({
  type: "tool_event",
  turnId,
  call,
  event: { type: "command_started", callId: call.call_id, command, cwd, startedAt },
});
/** The agent's event for a finished command call: `text` for the model, `facts` for the UI. */
const commandDone = (
  call: ToolCallItem,
  text: string,
  facts?: Partial<CommandMetadata>,
): AgentEvent => ({
  type: "tool_completed",
  turnId,
  call,
  output: { type: "function_call_output", call_id: call.call_id, output: text },
  ...(facts
    ? {
      metadata: { kind: "command", command: "x", cwd: "/w", output: "", wallMs: 1, ...facts },
    }
    : {}),
});
const message = (text: string) => ({
  type: "item_completed" as const,
  turnId,
  item: { type: "message", role: "assistant", content: [{ type: "output_text", text }] },
});

Deno.test("shell round trip: command item started and completed, message, usage summed", () => {
  const call = execCall("c1", { cmd: "echo hi; ls" });
  const events = run([
    { type: "turn_started", turnId, texts: ["List files"] },
    { type: "token_count", turnId, usage },
    { type: "tool_started", turnId, call },
    commandStarted(call, "/bin/bash -lc 'echo hi; ls'"),
    commandDone(call, framed("Process exited with code 0", "hi\nREADME.md\n"), {
      exitCode: 0,
      output: "hi\nREADME.md\n",
    }),
    message("All done."),
    { type: "token_count", turnId, usage },
    { type: "turn_completed", turnId, lastMessage: "All done." },
  ]);
  assert.deepEqual(events, [
    { type: "turn.started" },
    {
      type: "item.started",
      item: {
        id: "item_0",
        type: "command_execution",
        command: "/bin/bash -lc 'echo hi; ls'",
        aggregated_output: "",
        exit_code: null,
        status: "in_progress",
      },
    },
    {
      type: "item.completed",
      item: {
        id: "item_0",
        type: "command_execution",
        command: "/bin/bash -lc 'echo hi; ls'",
        aggregated_output: "hi\nREADME.md\n",
        exit_code: 0,
        status: "completed",
      },
    },
    { type: "item.completed", item: { id: "item_1", type: "agent_message", text: "All done." } },
    {
      type: "turn.completed",
      usage: { input_tokens: 200, cached_input_tokens: 40, output_tokens: 20 },
    },
  ]);
  // Field order matters to line-oriented consumers: it is upstream's.
  assert.equal(
    JSON.stringify(events[1]),
    '{"type":"item.started","item":{"id":"item_0","type":"command_execution","command":"/bin/bash -lc \'echo hi; ls\'","aggregated_output":"","exit_code":null,"status":"in_progress"}}',
  );
});

Deno.test("a command still running completes when write_stdin sees it exit", () => {
  const call = execCall("c1", { cmd: "sleep 2; echo done", yield_time_ms: 500 });
  const poll: ToolCallItem = {
    type: "function_call",
    name: "write_stdin",
    arguments: '{"session_id":61932,"chars":""}',
    call_id: "c2",
  };
  const events = run([
    { type: "tool_started", turnId, call },
    commandStarted(call, "/bin/bash -lc 'sleep 2; echo done'"),
    commandDone(call, framed("Process running with session ID 61932", "early\n"), {
      sessionId: 61932,
      output: "early\n",
    }),
    { type: "tool_started", turnId, call: poll },
    commandDone(poll, framed("Process exited with code 0", "done\n"), {
      sessionId: 61932,
      exitCode: 0,
      output: "done\n",
    }),
  ]);
  assert.deepEqual(events.map((e) => e.type), ["item.started", "item.completed"]);
  const done = events[1] as Extract<ThreadEvent, { type: "item.completed" }>;
  assert.deepEqual(done.item, {
    id: "item_0",
    type: "command_execution",
    command: "/bin/bash -lc 'sleep 2; echo done'",
    aggregated_output: "early\ndone\n",
    exit_code: 0,
    status: "completed",
  });
});

Deno.test("a command's item starts when its process does, before its call returns", () => {
  const out: ThreadEvent[] = [];
  const view = new ExecView((e) => out.push(structuredClone(e)));
  const call: ToolCallItem = {
    type: "function_call",
    name: "shell_command",
    arguments: '{"command":"sleep 6"}',
    call_id: "s1",
  };
  view.on({ type: "tool_started", turnId, call });
  assert.equal(out.length, 0);
  view.on(commandStarted(call, "/bin/bash -lc 'sleep 6'"));
  assert.deepEqual(out.map((e) => e.type), ["item.started"]);
  // A nested call's command (a code cell's) is not an item of its own.
  view.on({
    type: "tool_event",
    turnId,
    call,
    event: {
      type: "command_started",
      callId: "nested",
      command: "ls",
      cwd: "/w",
      startedAt: performance.now(),
    },
  });
  view.on(commandDone(call, "Exit code: 0\nWall time: 6 seconds\nOutput:\n", { exitCode: 0 }));
  assert.deepEqual(out.map((e) => e.type), ["item.started", "item.completed"]);
});

Deno.test("applied patches become file_change items; plans a todo_list completed at turn end", () => {
  const patch: ToolCallItem = {
    type: "custom_tool_call",
    call_id: "p",
    name: "apply_patch",
    input: "",
  };
  const plan: ToolCallItem = {
    type: "function_call",
    call_id: "q",
    name: "update_plan",
    arguments: "{}",
  };
  const events = run([
    {
      type: "tool_event",
      turnId,
      call: plan,
      event: {
        type: "plan_updated",
        callId: "q",
        plan: [{ step: "s0", status: "completed" }, { step: "s1", status: "in_progress" }],
      },
    },
    {
      type: "tool_event",
      turnId,
      call: patch,
      event: {
        type: "patch_applied",
        callId: "p",
        changes: [{ path: "/work/hello.txt", kind: "add" }],
      },
    },
    {
      type: "tool_event",
      turnId,
      call: plan,
      event: {
        type: "plan_updated",
        callId: "q",
        plan: [{ step: "s0", status: "completed" }, { step: "s1", status: "completed" }],
      },
    },
    message("All done."),
    { type: "turn_completed", turnId, lastMessage: "All done." },
  ]);
  assert.deepEqual(events.map((e) => `${e.type}:${"item" in e ? e.item.type : ""}`), [
    "item.started:todo_list",
    "item.completed:file_change",
    "item.updated:todo_list",
    "item.completed:agent_message",
    "item.completed:todo_list",
    "turn.completed:",
  ]);
  assert.deepEqual((events[0] as { item: unknown }).item, {
    id: "item_0",
    type: "todo_list",
    items: [{ text: "s0", completed: true }, { text: "s1", completed: false }],
  });
  assert.deepEqual((events[1] as { item: unknown }).item, {
    id: "item_1",
    type: "file_change",
    changes: [{ path: "/work/hello.txt", kind: "add" }],
    status: "completed",
  });
});

Deno.test("retries and failure: error events then turn.failed", () => {
  const events = run([
    { type: "turn_started", turnId, texts: ["x"] },
    {
      type: "reconnecting",
      turnId,
      attempt: 1,
      maxRetries: 5,
      delayMs: 200,
      error: "stream closed",
    },
    { type: "turn_failed", turnId, error: new Error("stream closed") },
  ]);
  assert.deepEqual(events, [
    { type: "turn.started" },
    { type: "error", message: "Reconnecting... 1/5 (stream closed)" },
    { type: "error", message: "stream closed" },
    { type: "turn.failed", error: { message: "stream closed" } },
  ]);
});

Deno.test("reasoning summaries become reasoning items", () => {
  const events = run([{
    type: "item_completed",
    turnId,
    item: { type: "reasoning", summary: [{ type: "summary_text", text: "Plan it." }] },
  }]);
  assert.deepEqual(events, [{
    type: "item.completed",
    item: { id: "item_0", type: "reasoning", text: "Plan it." },
  }]);
});

Deno.test("each part of a reasoning summary is an item; the log opens with a line per part", () => {
  const { view, events, log } = viewWithLog();
  view.on({
    type: "item_completed",
    turnId,
    item: {
      type: "reasoning",
      summary: [
        { type: "summary_text", text: "First — 计划" },
        { type: "summary_text", text: "Second ✓" },
      ],
    },
  });
  assert.deepEqual(events, [
    { type: "item.completed", item: { id: "item_0", type: "reasoning", text: "First — 计划" } },
    { type: "item.completed", item: { id: "item_1", type: "reasoning", text: "Second ✓" } },
  ]);
  // Upstream 0.115.0's log of the same summary (scenario multi-call-unicode).
  assert.equal(log.text, "\n\nthinking\nFirst — 计划\nthinking\nSecond ✓\n");
});

Deno.test("a command refused before it ran is no item; one the sandbox stopped ends failed", () => {
  const refused = execCall("c1", { cmd: "touch x", sandbox_permissions: "require_escalated" });
  const denied = execCall("c2", { cmd: "touch x" });
  const interrupted = execCall("c3", { cmd: "sleep 9" });
  const events = run([
    { type: "tool_started", turnId, call: refused },
    commandDone(refused, "approval policy is Never; reject command — …"),
    { type: "tool_started", turnId, call: denied },
    commandStarted(denied, "/bin/bash -lc 'touch x'"),
    commandDone(denied, "exec_command failed for `/bin/bash -lc 'touch x'`: SandboxDenied {…}", {
      exitCode: 1,
      output: "touch: cannot touch 'x': Read-only file system\n",
    }),
    { type: "tool_started", turnId, call: interrupted },
    commandStarted(interrupted, "/bin/bash -lc 'sleep 9'"),
    commandDone(interrupted, "aborted by user after 1.0s"),
    message("All done."),
  ]);
  assert.deepEqual(events.map((e) => [e.type, "item" in e ? e.item.id : ""]), [
    ["item.started", "item_0"],
    ["item.completed", "item_0"],
    ["item.started", "item_1"],
    ["item.completed", "item_1"],
    ["item.completed", "item_2"],
  ]);
  assert.deepEqual((events[1] as { item: unknown }).item, {
    id: "item_0",
    type: "command_execution",
    command: "/bin/bash -lc 'touch x'",
    aggregated_output: "touch: cannot touch 'x': Read-only file system\n",
    exit_code: 1,
    status: "failed",
  });
  assert.deepEqual(
    (events[3] as { item: { exit_code: unknown; status: string } }).item.status,
    "failed",
  );
});

Deno.test("the plain log shows sub-agent calls as upstream 0.115.0 does, and counts with commas", () => {
  let text = "";
  const view = new ExecView((e) => log.on(e));
  const log = new ExecLog(
    (t) => (text += t),
    palette(false),
    "/w",
    (itemId) => view.details.get(itemId),
  );
  const A = "01a20dfc-7580-7152-b47a-d0b8ed592aa5";
  const collab = (
    callId: string,
    tool: CollabCall["tool"],
    receivers: string[],
    prompt: string | null,
    states: CollabCall["agentsStates"] = {},
    status: CollabCall["status"] = "completed",
  ): AgentEvent => ({
    type: "tool_event",
    turnId,
    call: { type: "function_call", name: tool, arguments: "{}", call_id: callId },
    event: {
      type: "collab_call",
      callId,
      call: {
        tool,
        senderThreadId: "main",
        receiverThreadIds: receivers,
        prompt,
        agentsStates: states,
        status,
      },
    },
  });
  const events: AgentEvent[] = [
    collab("call_1", "spawn_agent", [], "long task", {}, "in_progress"),
    collab("call_1", "spawn_agent", [A], "long task", {
      [A]: { status: "pending_init", message: null },
    }),
    collab("call_3", "send_input", [A], "stop and say bye", {}, "in_progress"),
    collab("call_3", "send_input", [A], "stop and say bye", {
      [A]: { status: "running", message: null },
    }),
    collab("call_2", "wait", [A], null, {}, "in_progress"),
    collab("call_2", "wait", [A], null, {}),
    collab("call_4", "wait", [A], null, {}, "in_progress"),
    collab("call_4", "wait", [A], null, { [A]: { status: "completed", message: "bye" } }),
    collab("call_5", "close_agent", [A], null, {}, "in_progress"),
    collab("call_5", "close_agent", [A], null, { [A]: { status: "not_found", message: null } }),
    { type: "token_count", turnId, usage: { ...usage, input_tokens: 1200 } },
    { type: "turn_completed", turnId, lastMessage: null },
  ];
  for (const event of events) view.on(event);
  assert.equal(
    text,
    [
      `collab spawn_agent(call_1, prompt="long task")`,
      `spawn_agent(call_1, prompt="long task") pending init:`,
      `  agent: ${A}`,
      `collab send_input(call_3, prompt="stop and say bye")`,
      `  receiver: ${A}`,
      `send_input(call_3, prompt="stop and say bye") running:`,
      `  receiver: ${A}`,
      `collab wait(call_2)`,
      `  receivers: ${A}`,
      `wait(call_2) timed out:`,
      `collab wait(call_4)`,
      `  receivers: ${A}`,
      `wait(call_4) 1 agents complete:`,
      `  ${A} completed: "bye"`,
      `collab close_agent(call_5)`,
      `  receiver: ${A}`,
      `close_agent(call_5) not found:`,
      `  receiver: ${A}`,
      `tokens used`,
      `1,190`,
      ``,
    ].join("\n"),
  );
});

Deno.test("a provider's web search: started without its query, completed with it, its own id", () => {
  const search = {
    type: "web_search_call",
    id: "ws_1",
    action: { type: "search", query: "codex release" },
  };
  const events = run([
    { type: "turn_started", turnId, texts: ["find it"] },
    { type: "item_started", turnId, item: { type: "web_search_call", id: "ws_1" } },
    { type: "item_completed", turnId, item: search },
    message("Found."),
  ]);
  assert.deepEqual(events.slice(1), [
    {
      type: "item.started",
      item: { id: "ws_1", type: "web_search", query: "", action: { type: "other" } },
    },
    {
      type: "item.completed",
      item: {
        id: "ws_1",
        type: "web_search",
        query: "codex release",
        action: { type: "search", query: "codex release" },
      },
    },
    // The search took a number: the message after it is item_1, as upstream numbers it.
    { type: "item.completed", item: { id: "item_1", type: "agent_message", text: "Found." } },
  ]);
});

Deno.test("the plain log shows a web search as upstream 0.115.0 does", () => {
  let text = "";
  const log = new ExecLog((t) => (text += t), palette(false), "/w");
  const view = new ExecView((e) => log.on(e));
  for (
    const event of [
      { type: "item_started", turnId, item: { type: "web_search_call", id: "ws_1" } },
      {
        type: "item_completed",
        turnId,
        item: { type: "web_search_call", id: "ws_1", action: { type: "search", query: "q" } },
      },
    ] as AgentEvent[]
  ) view.on(event);
  assert.equal(text, "🌐 Searching the web...\n🌐 Searched: q\n");
});

Deno.test("commands: items carry the whole output, the log its first 20 lines and the folder", () => {
  const events: ThreadEvent[] = [];
  let text = "";
  const view = new ExecView((e) => {
    events.push(structuredClone(e));
    log.on(e);
  });
  const log = new ExecLog((t) => (text += t), palette(false), "/w", (id) => view.details.get(id));
  const whole = Array.from({ length: 30 }, (_, i) => `${i + 1}`).join("\n") + "\n";
  const call = execCall("c1", { cmd: "seq 1 30", workdir: "sub" });
  for (
    const event of [
      { type: "tool_started", turnId, call },
      commandStarted(call, "/bin/bash -lc 'seq 1 30'", "/w/sub"),
      commandDone(
        call,
        framed("Process exited with code 0", "Total output lines: 30\n\n1\n…\n30\n"),
        { exitCode: 0, output: whole },
      ),
      {
        type: "tool_event",
        turnId,
        call: execCall("p", {}),
        event: { type: "plan_updated", callId: "p", explanation: "Why.", plan: [] },
      },
      { type: "compaction_started", turnId, reason: "auto" },
      message("a summary nobody should see"),
      { type: "compaction_completed", turnId, summary: "s", history: [] },
    ] as AgentEvent[]
  ) view.on(event);
  const completed = events.find((e) => e.type === "item.completed") as Extract<
    ThreadEvent,
    { type: "item.completed" }
  >;
  assert.equal((completed.item as { aggregated_output: string }).aggregated_output, whole);
  const shown = Array.from({ length: 20 }, (_, i) => `${i + 1}`).join("\n");
  assert.ok(text.includes(`/bin/bash -lc 'seq 1 30' in /w/sub succeeded in`), text);
  assert.ok(text.includes(`:\n${shown}\n`) && !text.includes("\n21\n"), text);
  assert.match(text, /Plan update\nWhy\.\n/);
  assert.match(text, /context compacted\nwarning: /);
  assert.doesNotMatch(text, /nobody should see/);
});

Deno.test("the log times a command from its spawn, however late its start event is handled", () => {
  let text = "";
  const view = new ExecView((e) => log.on(e));
  const log = new ExecLog((t) => (text += t), palette(false), "/w", (id) => view.details.get(id));
  const call = execCall("c1", { cmd: "sleep 2" });
  // Under load the event can be handled long after the process started: it says when that was.
  view.on(commandStarted(call, "/bin/bash -lc 'sleep 2'", "/w", performance.now() - 2_000));
  view.on(commandDone(call, framed("Process exited with code 0", ""), { exitCode: 0, output: "" }));
  assert.match(text, /'sleep 2' in \/w succeeded in 2\.\d\ds:/);
});

Deno.test("token figures: reported after usage or an overflow, not after a bare failure", () => {
  const failWith = (error: Error) => {
    const view = new ExecView(() => {});
    view.on({ type: "turn_started", turnId, texts: ["x"] });
    view.on({ type: "turn_failed", turnId, error });
    return view.usageReported;
  };
  assert.equal(failWith(new Error("HTTP 500")), false);
  assert.equal(
    failWith(new ContextWindowExceededError("too long", { provider: "p", url: "http://x" })),
    true,
  );
  const counted = new ExecView(() => {});
  counted.on({ type: "token_count", turnId, usage });
  assert.equal(counted.usageReported, true);
  let text = "";
  const quiet = new ExecLog((t) => (text += t), palette(false), "/w", () => undefined, () => false);
  quiet.on({
    type: "turn.completed",
    usage: { input_tokens: 0, cached_input_tokens: 0, output_tokens: 0 },
  });
  assert.equal(text, "", "no figures, no tokens line (as upstream's review runs)");
});

/** The view and the plain log wired as exec wires them; the log text without colours. */
function viewWithLog() {
  const events: ThreadEvent[] = [];
  const log = { text: "" };
  const view = new ExecView((e) => {
    events.push(structuredClone(e));
    plain.on(e);
  });
  const plain = new ExecLog(
    (t) => (log.text += t),
    palette(false),
    "/w",
    (id) => view.details.get(id),
  );
  return { view, events, log };
}

Deno.test("commands side by side: the log shows each as it starts, its outcome as it ends", () => {
  const { view, log } = viewWithLog();
  const a = execCall("a", { cmd: "sleep 1" });
  const b = execCall("b", { cmd: "script" });
  for (
    const event of [
      { type: "tool_started", turnId, call: a },
      { type: "tool_started", turnId, call: b },
      commandStarted(a, "/bin/bash -lc 'sleep 1'"),
      commandStarted(b, "/bin/bash -lc script"),
      // A terminal's line ends are shown as plain newlines.
      commandDone(b, framed("Process exited with code 0", "x\r\n"), {
        exitCode: 0,
        output: "one\r\ntwo\r\n",
      }),
      commandDone(a, framed("Process exited with code 1", ""), { exitCode: 1, output: "" }),
    ] as AgentEvent[]
  ) view.on(event);
  // Upstream 0.115.0's log for the same (scenario multi-call-unicode): the start lines run on.
  assert.match(
    log.text,
    /^exec\n\/bin\/bash -lc 'sleep 1' in \/wexec\n\/bin\/bash -lc script in \/w succeeded in \d+ms:\none\ntwo\n exited 1 in \d+ms:\n$/,
  );
});

Deno.test("a command still running when the turn ends is closed without an exit code", () => {
  const { view, events, log } = viewWithLog();
  const call = execCall("c", { cmd: "sleep 9", yield_time_ms: 250 });
  for (
    const event of [
      { type: "tool_started", turnId, call },
      commandStarted(call, "/bin/bash -lc 'sleep 9'"),
      commandDone(call, framed("Process running with session ID 7", ""), {
        sessionId: 7,
        output: "",
      }),
      message("Done."),
      { type: "turn_completed", turnId, lastMessage: "Done." },
    ] as AgentEvent[]
  ) view.on(event);
  // As upstream 0.115.0 (scenario write-stdin-tty): completed, no exit code, before the turn ends.
  assert.deepEqual(events.slice(-2), [
    {
      type: "item.completed",
      item: {
        id: "item_0",
        type: "command_execution",
        command: "/bin/bash -lc 'sleep 9'",
        aggregated_output: "",
        exit_code: null,
        status: "completed",
      },
    },
    {
      type: "turn.completed",
      usage: { input_tokens: 0, cached_input_tokens: 0, output_tokens: 0 },
    },
  ]);
  assert.equal(log.text, "exec\n/bin/bash -lc 'sleep 9' in /wcodex\nDone.\ntokens used\n0\n");
});

Deno.test("an image the model viewed is logged with its path, as upstream's log shows it", () => {
  let text = "";
  const log = new ExecLog((t) => (text += t), palette(false), "/w");
  const call = (id: string): ToolCallItem => ({
    type: "function_call",
    name: "view_image",
    arguments: JSON.stringify({ path: "pic.png" }),
    call_id: id,
  });
  log.agentEvent({
    type: "tool_completed",
    turnId,
    call: call("ok"),
    output: {
      type: "function_call_output",
      call_id: "ok",
      output: [{ type: "input_image", image_url: "data:image/png;base64,AA==" }],
    },
  } as AgentEvent);
  log.agentEvent({
    type: "tool_completed",
    turnId,
    call: call("missing"),
    output: { type: "function_call_output", call_id: "missing", output: "unable to locate image" },
  } as AgentEvent);
  assert.equal(text, "viewed image /w/pic.png\n");
});

Deno.test("a warning before the turn: an error item in --json, a warning line in the log", () => {
  const { view, events, log } = viewWithLog();
  view.warn("no metadata for that model");
  view.on({ type: "turn_started", turnId, texts: ["hi"] });
  // As upstream 0.115.0 shows an unknown model's fallback (scenario unknown-model-notice).
  assert.deepEqual(events, [
    {
      type: "item.completed",
      item: { id: "item_0", type: "error", message: "no metadata for that model" },
    },
    { type: "turn.started" },
  ]);
  assert.equal(log.text, "warning: no metadata for that model\n");
});
