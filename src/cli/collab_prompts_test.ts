// The CLI's side of the collaboration tools: terminal prompts for request_user_input and
// request_permissions, and sub-agent calls in `exec --json` as upstream's collab_tool_call items.
import assert from "node:assert/strict";
import { ExecView, type ThreadEvent } from "./exec_view.ts";
import { LinePrompter, permissionsPrompt, userInputPrompt } from "./collab_prompts.ts";
import type { ToolCallItem } from "../protocol/mod.ts";
import type { CollabCall } from "../tools/mod.ts";

const signal = new AbortController().signal;

/** A terminal whose user types `typed`, one line per question, as each question appears. */
function terminal(typed: string[] = []) {
  const shown: string[] = [];
  const prompter: LinePrompter = new LinePrompter((question) => {
    shown.push(question);
    const line = typed.shift();
    if (line !== undefined) queueMicrotask(() => prompter.offer(line));
  });
  return { shown, prompter, ask: (q: string, s: AbortSignal) => prompter.ask(q, s) };
}

Deno.test("LinePrompter: one question on screen at a time; typed lines answer them in order", async () => {
  const { shown, prompter } = terminal();
  assert.equal(prompter.offer("stray"), false, "no question, the line is the user's own");
  const first = prompter.ask("first? ", signal);
  const second = prompter.ask("second? ", signal);
  assert.deepEqual(shown, ["first? "]);
  assert.equal(prompter.offer("a"), true);
  assert.deepEqual(shown, ["first? ", "second? "]);
  assert.equal(prompter.offer("b"), true);
  assert.deepEqual([await first, await second], ["a", "b"]);
  assert.equal(prompter.waiting, false);
});

Deno.test("LinePrompter: an aborted question goes away unanswered", async () => {
  const { shown, prompter } = terminal();
  const abort = new AbortController();
  const asked = prompter.ask("still there? ", abort.signal);
  const next = prompter.ask("next? ", signal);
  abort.abort();
  assert.equal(await asked, undefined);
  assert.deepEqual(shown, ["still there? ", "next? "]);
  prompter.offer("yes");
  assert.equal(await next, "yes");
});

Deno.test("userInputPrompt: a number picks an option, other text is the answer, empty dismisses", async () => {
  const { shown, ask } = terminal(["2", "  because  ", ""]);
  const handler = userInputPrompt(ask);
  const option = (label: string) => ({ label, description: `${label} it is.` });
  const request = {
    callId: "c1",
    questions: [
      {
        id: "a",
        header: "A",
        question: "Pick?",
        isOther: true,
        options: [option("x"), option("y")],
      },
      { id: "b", header: "B", question: "Why?", isOther: true, options: [option("z")] },
    ],
  };
  assert.deepEqual(await handler(request, signal), {
    a: { answers: ["y"] },
    b: { answers: ["because"] },
  });
  assert.ok(shown[0].startsWith("[A] Pick?\n  1. x — x it is.\n  2. y — y it is.\n"), shown[0]);
  assert.equal(await handler(request, signal), undefined, "an empty line dismisses");
});

Deno.test("permissionsPrompt: y grants for the turn, s for the session, anything else refuses", async () => {
  for (const [typed, expected] of [["y", "turn"], ["s", "session"], ["n", undefined]] as const) {
    const { shown, prompter, ask } = terminal();
    const permissions = { network: { enabled: true }, file_system: { write: ["/w/out"] } };
    const decided = permissionsPrompt(ask)(
      { callId: "c", reason: "to build", permissions },
      signal,
    );
    prompter.offer(typed);
    const grant = await decided;
    assert.deepEqual(grant, expected ? { permissions, scope: expected } : undefined);
    assert.ok(shown[0].includes("to build\n  network access\n  write /w/out\n"), shown[0]);
  }
});

Deno.test("permission and question prompts show what the model wrote, hidden characters spelled out", async () => {
  const { shown, prompter, ask } = terminal();
  // Erase the line, go up one: the user would read only the harmless path.
  const write = ["/\r\x1b[2K  write /w/build", "/w/\x1b]52;c;Y3VybA==\x07x"];
  const decided = permissionsPrompt(ask)(
    { callId: "c", reason: "build\n  write /w/ok", permissions: { file_system: { write } } },
    signal,
  );
  prompter.offer("n");
  await decided;
  assert.equal(
    shown[0],
    "The agent asks for more permissions: build\\n  write /w/ok\n" +
      "  write /\\r\\x1b[2K  write /w/build\n  write /w/\\x1b]52;c;Y3VybA==\\x07x\n" +
      "Grant them? [y] for this turn, [s] for the session, [n] no: ",
  );
  const questions = terminal([""]);
  await userInputPrompt(questions.ask)({
    callId: "c",
    questions: [{
      id: "a",
      header: "H\x1b[8m",
      question: "Q?\u202e",
      isOther: true,
      options: [{ label: "yes\r", description: "d\nnext" }],
    }],
  }, signal);
  assert.ok(
    questions.shown[0].startsWith("[H\\x1b[8m] Q?\\u202e\n  1. yes\\r — d next\n"),
    questions.shown[0],
  );
});

Deno.test("exec --json shows sub-agent calls as upstream's collab_tool_call items", () => {
  const events: ThreadEvent[] = [];
  const view = new ExecView((event) => events.push(event));
  const call: ToolCallItem = {
    type: "function_call",
    call_id: "call_1",
    name: "spawn_agent",
    arguments: "{}",
  };
  const base = { tool: "spawn_agent", senderThreadId: "parent", prompt: "Say hi" } as const;
  const steps: CollabCall[] = [
    { ...base, receiverThreadIds: [], agentsStates: {}, status: "in_progress" },
    {
      ...base,
      receiverThreadIds: ["child"],
      agentsStates: { child: { status: "pending_init", message: null } },
      status: "completed",
    },
  ];
  for (const collab of steps) {
    view.on({
      type: "tool_event",
      turnId: "t",
      call,
      event: { type: "collab_call", callId: "call_1", call: collab },
    });
  }
  assert.deepEqual(events.map((event) => JSON.stringify(event)), [
    '{"type":"item.started","item":{"id":"item_0","type":"collab_tool_call","tool":"spawn_agent",' +
    '"sender_thread_id":"parent","receiver_thread_ids":[],"prompt":"Say hi","agents_states":{},' +
    '"status":"in_progress"}}',
    '{"type":"item.completed","item":{"id":"item_0","type":"collab_tool_call","tool":"spawn_agent",' +
    '"sender_thread_id":"parent","receiver_thread_ids":["child"],"prompt":"Say hi",' +
    '"agents_states":{"child":{"status":"pending_init","message":null}},"status":"completed"}}',
  ]);
});
