import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { modelInfo } from "../model/mod.ts";
import type { ResponseItem } from "../protocol/mod.ts";
import { ToolRegistry } from "../tools/mod.ts";
import { rebuildSession, typedUserText } from "./rebuild.ts";
import { parseRollout } from "./reader.ts";
import type { RolloutEntry } from "./schema.ts";

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "fixtures");
/** The conformance recordings: fixtures/upstream/<version>/<scenario>/{rollouts,run-N}. */
const CONFORMANCE = join(FIXTURES, "upstream");
/** Session captures the conformance scenarios cannot script (see fixtures/sessions/README.md). */
const SESSIONS = join(FIXTURES, "sessions", "0.115.0");

async function parsedFile(...path: string[]) {
  return parseRollout(await readFile(join(...path), "utf8"));
}

async function json<T = ResponseItem[]>(...path: string[]): Promise<T> {
  return JSON.parse(await readFile(join(...path), "utf8"));
}

/** The input of the last request of a conformance run. */
function lastTurnModel(entries: RolloutEntry[]): string {
  const contexts = entries.filter((e) => e.type === "turn_context");
  return String((contexts.at(-1)?.payload as { model?: string } | undefined)?.model ?? "");
}

async function lastInput(scenarioDir: string, run: string): Promise<ResponseItem[]> {
  const requests = (await readdir(join(scenarioDir, run, "requests"))).sort();
  const last = await json<{ body: { input: ResponseItem[] } }>(
    scenarioDir,
    run,
    "requests",
    requests.at(-1)!,
  );
  return last.body.input;
}

/** The rollout's entries before its `n`-th turn started: the file as an earlier run left it. */
function beforeTurn(entries: RolloutEntry[], n: number): RolloutEntry[] {
  const starts = entries.flatMap((e, i) =>
    e.type === "event_msg" && e.payload.type === "task_started" ? [i] : []
  );
  return entries.slice(0, starts[n - 1]);
}

function kinds(items: readonly ResponseItem[]): string[] {
  return items.map((item) => (item.type === "message" ? `${item.role} message` : item.type));
}

/** Upstream's first turn of scenario b: context, prompt, one command, the answer. */
const ONE_COMMAND_TURN = [
  "developer message",
  "user message",
  "user message",
  "function_call",
  "function_call_output",
  "assistant message",
];

const user = (text: string): ResponseItem => ({
  type: "message",
  role: "user",
  content: [{ type: "input_text", text }],
});
const line = (type: string, payload: unknown) => ({ timestamp: "t", type, payload });
const rebuild = (...lines: unknown[]) =>
  rebuildSession(parseRollout(lines.map((l) => JSON.stringify(l)).join("\n")).entries);

Deno.test("resume: an upstream 0.115.0 session rebuilds exactly what upstream's resume replays", async () => {
  const dir = join(CONFORMANCE, "0.115.0", "resume");
  const { entries } = await parsedFile(dir, "rollouts", "1.jsonl");
  // The file as run 1 left it, and what run 2 (`exec resume --last "continue"`) sent.
  const rebuilt = rebuildSession(beforeTurn(entries, 2));
  const upstream = await lastInput(dir, "run-2");
  assert.deepEqual(rebuilt.history, upstream.slice(0, -1));
  assert.deepEqual(kinds(rebuilt.history), ONE_COMMAND_TURN);
  assert.deepEqual(rebuilt.userMessages, ["List files"]);
  assert.equal(rebuilt.lastTurnContext?.model, "gpt-5.1-codex");
  assert.equal(rebuilt.tokenInfo?.total_token_usage.total_tokens, 220);
  assert.equal(rebuilt.meta?.cli_version, "0.115.0");
});

Deno.test("resume: every upstream 0.115.0 rollout starts with what upstream's last request sent", async () => {
  const base = join(CONFORMANCE, "0.115.0");
  let checked = 0;
  for (const scenario of (await readdir(base)).sort()) {
    const dir = join(base, scenario);
    const rollouts = await readdir(join(dir, "rollouts")).catch(() => []);
    // apply_patch results are compared in the apply-patch-resume test below: the normaliser
    // replaced the durations that the replay form is built from.
    if (
      rollouts.length === 0 ||
      ["apply-patch-add", "apply-patch-edit", "apply-patch-move-delete", "custom-call-mismatch"]
        .some((name) => scenario.startsWith(name))
    ) continue;
    // Outputs over the history budget are cut at a byte position, and the normaliser changed
    // lengths inside them (chunk ids, wall times): the conformance run compares those instead.
    if (scenario.startsWith("unknown-model-big-output")) continue;
    // A review run is two threads (the review's own rollout, and the main one with review-mode
    // events this reader skips): no single conversation to compare with the last request.
    if (scenario.startsWith("exec-review")) continue;
    // A run that sent nothing (a usage error) started no session and has no request to compare;
    // its requests folder was empty, and git keeps no empty folder, so a clone has none at all.
    const runs = [];
    for (const name of (await readdir(dir)).filter((name) => name.startsWith("run-")).sort()) {
      const requests = join(dir, name, "requests");
      if (existsSync(requests) && (await readdir(requests)).length > 0) runs.push(name);
    }
    // Runs that each started a session (one rollout per run) are compared pairwise; otherwise the
    // first rollout holds the session that the last run continued.
    const pairs = runs.length > 1 && rollouts.length === runs.length
      ? runs.map((run, i) => [run, `${i + 1}.jsonl`])
      : [[runs.at(-1)!, "1.jsonl"]];
    for (const [run, rollout] of pairs) {
      const parsed = await parsedFile(dir, "rollouts", rollout);
      assert.equal(parsed.invalid, 0, `${scenario}: ${parsed.problems.join("; ")}`);
      assert.equal(parsed.ignored, 0, scenario);
      const input = await lastInput(dir, run);
      // The rollout keeps outputs whole; the history cuts them to the model's budget (the agent
      // does that when it restores a history), so compare in the history's form.
      const model = lastTurnModel(parsed.entries);
      const tools = new ToolRegistry([], { outputBudget: modelInfo(model).truncation });
      const history = rebuildSession(parsed.entries).history.map((item) => tools.historyForm(item));
      assert.deepEqual(history.slice(0, input.length), input, `${scenario} ${run}`);
    }
    checked++;
  }
  assert.ok(checked >= 20, `only ${checked} scenarios checked`);
});

Deno.test("resume: apply_patch results replay as the text upstream's resume request sends", async () => {
  const { entries } = await parsedFile(SESSIONS, "apply-patch-resume", "rollout.jsonl");
  const stored = entries.find((e) =>
    e.type === "response_item" && e.payload.type === "custom_tool_call_output"
  );
  assert.match(String(stored?.payload.output), /^\{"output":/);
  const rebuilt = rebuildSession(entries);
  const upstream = await json(SESSIONS, "apply-patch-resume", "resume-request-input.json");
  // Upstream's request then adds a permissions message (its sandbox changed) and the prompt.
  assert.deepEqual(rebuilt.history, upstream.slice(0, -2));
  assert.equal(
    rebuilt.history[4].output,
    "Exit code: 0\nWall time: 0 seconds\nOutput:\nSuccess. Updated the following files:\nA hello.txt\n",
  );
});

Deno.test("resume: a compacted line replaces the history before it (upstream 0.115.0)", async () => {
  const rebuilt = rebuildSession(
    (await parsedFile(SESSIONS, "compacted", "rollout.jsonl")).entries,
  );
  const turnTwo = await json(SESSIONS, "compacted", "turn-2-request-input.json");
  // Turn two's request went out right after the compaction; the answer to it follows.
  assert.deepEqual(rebuilt.history.slice(0, turnTwo.length), turnTwo);
  assert.deepEqual(kinds(rebuilt.history.slice(turnTwo.length)), ["assistant message"]);
  assert.deepEqual(rebuilt.userMessages, ["one", "two"]);
});

Deno.test("resume: a call a crash left unanswered gets an aborted output (upstream 0.115.0)", async () => {
  const killed = await parsedFile(SESSIONS, "killed-mid-exec", "rollout.jsonl");
  assert.equal(killed.entries.at(-1)?.type, "event_msg");
  const rebuilt = rebuildSession(killed.entries);
  const upstream = await json(SESSIONS, "killed-mid-exec", "resume-request-input.json");
  assert.deepEqual(rebuilt.history, upstream.slice(0, -1));
  assert.deepEqual(rebuilt.history.at(-1), {
    type: "function_call_output",
    call_id: "call_1",
    output: "aborted",
  });
});

Deno.test("resume: reasoning, commentary and parallel calls keep their order and shape", async () => {
  const dir = join(CONFORMANCE, "0.115.0", "reasoning-parallel");
  const rebuilt = rebuildSession((await parsedFile(dir, "rollouts", "1.jsonl")).entries);
  assert.deepEqual(kinds(rebuilt.history), [
    "developer message",
    "user message",
    "user message",
    "reasoning",
    "assistant message",
    "function_call",
    "function_call",
    "function_call_output",
    "function_call_output",
    "assistant message",
  ]);
  const reasoning = rebuilt.history[3];
  assert.deepEqual(Object.keys(reasoning), ["type", "summary", "content", "encrypted_content"]);
  assert.equal(reasoning.content, null);
  assert.equal(rebuilt.history[4].phase, "commentary");
});

Deno.test("resume: 0.169.0 rollouts read without error, their writer-only fields dropped", async () => {
  const base = join(CONFORMANCE, "0.169.0");
  for (const scenario of await readdir(base)) {
    const rollouts = await readdir(join(base, scenario, "rollouts")).catch(() => []);
    for (const name of rollouts) {
      const parsed = await parsedFile(base, scenario, "rollouts", name);
      assert.equal(parsed.invalid, 0, `${scenario}: ${parsed.problems.join("; ")}`);
      assert.equal(parsed.truncated, false);
      assert.ok(parsed.ignored > 0, `${scenario}: 0.169.0 writes lines 0.115.0 does not`);
      const rebuilt = rebuildSession(parsed.entries);
      assert.ok(rebuilt.history.length > 0 && rebuilt.userMessages.length > 0, scenario);
      for (const item of rebuilt.history) {
        assert.ok(!("id" in item) && !("internal_chat_message_metadata_passthrough" in item));
      }
    }
  }
  const exec = rebuildSession(
    (await parsedFile(base, "exec-command", "rollouts", "1.jsonl")).entries,
  );
  assert.deepEqual(kinds(exec.history), ONE_COMMAND_TURN);
  assert.deepEqual(exec.history[3], {
    type: "function_call",
    name: "exec_command",
    arguments: '{"cmd":"echo hi; ls"}',
    call_id: "call_1",
  });
  assert.deepEqual(exec.history[5].content, [{ type: "output_text", text: "All done." }]);
  assert.deepEqual(exec.userMessages, ["List files"]);
});

Deno.test("resume: compaction without a replacement history keeps typed messages and the summary", () => {
  const rebuilt = rebuild(
    line("response_item", user("<environment_context>x</environment_context>")),
    line("response_item", user("first")),
    line("response_item", { type: "message", role: "assistant", content: [] }),
    line("compacted", { message: "what happened" }),
    line("response_item", user("second")),
  );
  assert.deepEqual(rebuilt.history, [user("first"), user("what happened"), user("second")]);
});

Deno.test("resume: every dangling call is answered right after itself, custom calls in kind", () => {
  const call = { type: "function_call", name: "exec_command", arguments: "{}", call_id: "a" };
  const custom = { type: "custom_tool_call", call_id: "b", name: "apply_patch", input: "x" };
  const answered = { type: "function_call", name: "exec_command", arguments: "{}", call_id: "c" };
  const output = { type: "function_call_output", call_id: "c", output: "ok" };
  const rebuilt = rebuild(
    line("response_item", user("go")),
    line("response_item", call),
    line("response_item", custom),
    line("response_item", answered),
    line("response_item", output),
  );
  assert.deepEqual(rebuilt.history, [
    user("go"),
    call,
    { type: "function_call_output", call_id: "a", output: "aborted" },
    custom,
    { type: "custom_tool_call_output", call_id: "b", output: "aborted" },
    answered,
    output,
  ]);
});

Deno.test("resume: a rollback drops the last turns, context messages are not turns", () => {
  const rebuilt = rebuild(
    line("response_item", user("<environment_context>x</environment_context>")),
    line("response_item", user("one")),
    line("response_item", { type: "message", role: "assistant", content: [] }),
    line("response_item", user("two")),
    line("response_item", user("<turn_aborted>\nx\n</turn_aborted>")),
    line("response_item", user("three")),
    line("event_msg", { type: "thread_rolled_back", num_turns: 2 }),
    line("response_item", user("four")),
  );
  assert.deepEqual(kinds(rebuilt.history), [
    "user message",
    "user message",
    "assistant message",
    "user message",
  ]);
  assert.deepEqual(rebuilt.history.at(-1), user("four"));
  assert.deepEqual(rebuilt.history[1], user("one"));
});

Deno.test("typedUserText leaves out the tags around an attached image file", () => {
  const item = {
    type: "message",
    role: "user",
    content: [
      { type: "input_text", text: "<image name=[Image #1]>" },
      { type: "input_image", image_url: "data:image/png;base64,AAAA" },
      { type: "input_text", text: "</image>" },
      { type: "input_text", text: "what colour is it?" },
    ],
  } as ResponseItem;
  assert.equal(typedUserText(item), "what colour is it?");
});

Deno.test("resume: apply_patch's JSON results become text, a shell_command's stay as recorded", () => {
  const result = (seconds: number) =>
    JSON.stringify({
      output: "Success. Updated the following files:\nA a.txt\n",
      metadata: { exit_code: 0, duration_seconds: seconds },
    });
  const line = (payload: Record<string, unknown>) =>
    JSON.stringify({ timestamp: "2026-12-06T00:00:00.000Z", type: "response_item", payload });
  const { entries } = parseRollout(
    [
      line({ type: "custom_tool_call", call_id: "p", name: "apply_patch", input: "patch" }),
      line({ type: "custom_tool_call_output", call_id: "p", output: result(0.1) }),
      line({ type: "function_call", call_id: "s", name: "shell_command", arguments: "{}" }),
      line({ type: "function_call_output", call_id: "s", output: result(0.2) }),
    ].join("\n") + "\n",
  );
  const outputs = rebuildSession(entries).history.filter((i) => i.type.endsWith("_output"))
    .map((i) => (i as { output: string }).output);
  // As upstream 0.115.0 sends them (scenarios apply-patch-move-delete, apply-patch-via-shell-command).
  assert.deepEqual(outputs, [
    "Exit code: 0\nWall time: 0.1 seconds\nOutput:\nSuccess. Updated the following files:\nA a.txt\n",
    result(0.2),
  ]);
});
