// The thread events of `exec --json`, checked against what upstream 0.115.0 printed for the same
// scripted scenarios (see fixtures/upstream and docs/CONFORMANCE.md).
import assert from "node:assert/strict";
import type { AgentEvent } from "../agent/mod.ts";
import type { ToolCallItem } from "../protocol/mod.ts";
import { ExecView, parseExecFraming, patchChanges, type ThreadEvent } from "./exec_view.ts";

const turnId = "t";
const usage = {
  input_tokens: 100,
  input_tokens_details: { cached_tokens: 20 },
  output_tokens: 10,
  total_tokens: 110,
};

function run(events: AgentEvent[]): ThreadEvent[] {
  const out: ThreadEvent[] = [];
  const view = new ExecView("/work", (e) => out.push(structuredClone(e)));
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
    {
      type: "tool_completed",
      turnId,
      call,
      output: {
        type: "function_call_output",
        call_id: "c1",
        output: framed("Process exited with code 0", "hi\nREADME.md\n"),
      },
    },
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
    {
      type: "tool_completed",
      turnId,
      call,
      output: {
        type: "function_call_output",
        call_id: "c1",
        output: framed("Process running with session ID 61932", ""),
      },
    },
    { type: "tool_started", turnId, call: poll },
    {
      type: "tool_completed",
      turnId,
      call: poll,
      output: {
        type: "function_call_output",
        call_id: "c2",
        output: framed("Process exited with code 0", "done\n"),
      },
    },
  ]);
  assert.deepEqual(events.map((e) => e.type), ["item.started", "item.completed"]);
  const done = events[1] as Extract<ThreadEvent, { type: "item.completed" }>;
  assert.deepEqual(done.item, {
    id: "item_0",
    type: "command_execution",
    command: "/bin/bash -lc 'sleep 2; echo done'",
    aggregated_output: "done\n",
    exit_code: 0,
    status: "completed",
  });
});

Deno.test("apply_patch success is a file_change with absolute paths; a failed patch shows nothing", () => {
  const patch: ToolCallItem = {
    type: "custom_tool_call",
    call_id: "p",
    name: "apply_patch",
    input:
      "*** Begin Patch\n*** Add File: hello.txt\n+hi\n*** Update File: src/a.ts\n@@\n-a\n+b\n*** End Patch\n",
  };
  const ok = run([{
    type: "tool_completed",
    turnId,
    call: patch,
    output: {
      type: "custom_tool_call_output",
      call_id: "p",
      output:
        "Exit code: 0\nWall time: 0 seconds\nOutput:\nSuccess. Updated the following files:\nA hello.txt\nM src/a.ts\n",
    },
  }]);
  assert.deepEqual(ok, [{
    type: "item.completed",
    item: {
      id: "item_0",
      type: "file_change",
      changes: [{ path: "/work/hello.txt", kind: "add" }, {
        path: "/work/src/a.ts",
        kind: "update",
      }],
      status: "completed",
    },
  }]);
  const failed = run([{
    type: "tool_completed",
    turnId,
    call: patch,
    output: {
      type: "custom_tool_call_output",
      call_id: "p",
      output: "apply_patch verification failed: Failed to read file",
    },
  }]);
  assert.deepEqual(failed, []);
});

Deno.test("plans: todo_list started, updated, completed at the end of the turn after the message", () => {
  const plan = (statuses: string[]): ToolCallItem => ({
    type: "function_call",
    name: "update_plan",
    call_id: `p${statuses.join()}`,
    arguments: JSON.stringify({ plan: statuses.map((status, i) => ({ step: `s${i}`, status })) }),
  });
  const events = run([
    { type: "tool_started", turnId, call: plan(["completed", "in_progress"]) },
    { type: "tool_started", turnId, call: plan(["completed", "completed"]) },
    message("All done."),
    { type: "turn_completed", turnId, lastMessage: "All done." },
  ]);
  assert.deepEqual(events.map((e) => `${e.type}:${"item" in e ? e.item.type : ""}`), [
    "item.started:todo_list",
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

Deno.test("reasoning summaries become reasoning items; framing and patch parsing", () => {
  const events = run([{
    type: "item_completed",
    turnId,
    item: { type: "reasoning", summary: [{ type: "summary_text", text: "Plan it." }] },
  }]);
  assert.deepEqual(events, [{
    type: "item.completed",
    item: { id: "item_0", type: "reasoning", text: "Plan it." },
  }]);
  assert.deepEqual(parseExecFraming(framed("Process exited with code 2", "boom\n")), {
    exitCode: "2",
    sessionId: undefined,
    output: "boom\n",
  });
  assert.deepEqual(patchChanges("*** Delete File: /abs/x\n", "/work"), [{
    path: "/abs/x",
    kind: "delete",
  }]);
});
