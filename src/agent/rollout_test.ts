// Rollouts written through a real Agent, a real fake server and real commands, read back and
// resumed; compared line by line with what upstream Codex 0.115.0 wrote for the same turns.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { type FakeResponsesServer, requestInvariantViolations } from "../fake/mod.ts";
import type { ResponseItem } from "../protocol/mod.ts";
import { listRolloutFiles, parseRollout, rebuildSession } from "../session/mod.ts";
import { gitWorkspace, tempDir } from "../session/testdata/workspace.ts";
import { fakeServer, LIST_FILES, startRecordedAgent } from "./testdata/recorded_agent.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const FIXTURES = join(ROOT, "fixtures", "upstream", "0.115.0");
const DENO = join(ROOT, "node_modules", ".bin", "deno");

type Line = { type: string; payload: Record<string, unknown> };

async function lines(path: string): Promise<Line[]> {
  return (await readFile(path, "utf8")).trimEnd().split("\n").map((l) => JSON.parse(l));
}

/** `type/payload.type` (or `message/role`): the shape of a line sequence. */
function shape(line: Line): string {
  const p = line.payload;
  if (line.type === "response_item" && p.type === "message") return `message/${p.role}`;
  return typeof p.type === "string" ? `${line.type}/${p.type}` : line.type;
}

function inputOf(fake: FakeResponsesServer, index: number): ResponseItem[] {
  return (fake.requests[index].body as { input: ResponseItem[] }).input;
}

const resume = (codexHome: string, cwd: string, fake: FakeResponsesServer) =>
  startRecordedAgent({ codexHome, cwd, baseUrl: fake.baseUrl, resume: true });

const answer = (text: string) => ({ output: [{ type: "message" as const, text }] });

Deno.test("rollout: a recorded turn has upstream's lines and reads back as the agent's history", async () => {
  const fake = await fakeServer(LIST_FILES);
  const home = await tempDir("rollout-home-");
  const cwd = await gitWorkspace("rollout-cwd-");
  const run = await startRecordedAgent({ codexHome: home, cwd, baseUrl: fake.baseUrl });
  try {
    const result = await run.agent.runTurn(["List files"]);
    assert.equal(result.lastMessage, "All done.");
    const ours = await lines(run.path);
    const upstream = await lines(join(FIXTURES, "rollouts", "b-exec-command.jsonl"));
    assert.deepEqual(ours.map(shape), upstream.map(shape));
    // Same keys in the same order on every line, payloads included.
    for (const [i, line] of ours.entries()) {
      assert.deepEqual(Object.keys(line), Object.keys(upstream[i]), `line ${i}`);
      assert.deepEqual(Object.keys(line.payload), Object.keys(upstream[i].payload), `line ${i}`);
    }
    const counts = ours.filter((l) => l.payload.type === "token_count");
    assert.equal(counts[0].payload.info, null, "the first stream opens before any usage is known");
    assert.ok(counts.slice(1).every((l) => l.payload.info !== null));
    const output = ours.find((l) => l.payload.type === "function_call_output")?.payload.output;
    assert.match(String(output), /^Command: .*\nOutput:\nhi\nREADME\.md\n$/s);

    const rebuilt = rebuildSession(parseRollout(await readFile(run.path, "utf8")).entries);
    assert.deepEqual(rebuilt.history, run.agent.history);
    assert.equal(rebuilt.meta?.id, run.agent.sessionId);
    assert.deepEqual(rebuilt.userMessages, ["List files"]);
  } finally {
    run.close();
    await fake.close();
  }
});

Deno.test("rollout: a resumed session appends to its file and its request replays the history", async () => {
  const fake = await fakeServer({ responses: [...LIST_FILES.responses, answer("Continuing.")] });
  const home = await tempDir("rollout-home-");
  const cwd = await gitWorkspace("rollout-cwd-");
  const first = await startRecordedAgent({ codexHome: home, cwd, baseUrl: fake.baseUrl });
  await first.agent.runTurn(["List files"]);
  first.close();
  const before = await lines(first.path);

  const resumed = await resume(home, cwd, fake);
  try {
    assert.equal(resumed.path, first.path);
    assert.equal(resumed.agent.sessionId, first.agent.sessionId);
    await resumed.agent.runTurn(["continue"]);
    assert.deepEqual(inputOf(fake, 2), [...first.agent.history, {
      type: "message",
      role: "user",
      content: [{ type: "input_text", text: "continue" }],
    }]);
    assert.deepEqual(requestInvariantViolations(fake.requests[2].body), []);
    assert.equal((await listRolloutFiles(home)).length, 1);

    const after = await lines(first.path);
    assert.deepEqual(after.slice(0, before.length), before);
    // Upstream's own resume of scenario b appended exactly this (captures/f).
    assert.deepEqual(after.slice(before.length).map(shape), [
      "event_msg/task_started",
      "turn_context",
      "message/user",
      "event_msg/user_message",
      "event_msg/token_count",
      "event_msg/agent_message",
      "message/assistant",
      "event_msg/token_count",
      "event_msg/task_complete",
    ]);
    // Token totals carry on across the resume instead of starting again.
    const totals = (ls: Line[]) =>
      ls.filter((l) => l.payload.type === "token_count").map((l) =>
        (l.payload.info as { total_token_usage: { total_tokens: number } }).total_token_usage
          .total_tokens
      );
    const [opening, closing] = totals(after.slice(before.length));
    assert.equal(opening, totals(before.slice(1)).at(-1));
    assert.ok(closing > opening);

    const rebuilt = rebuildSession(parseRollout(await readFile(first.path, "utf8")).entries);
    assert.deepEqual(rebuilt.history, resumed.agent.history);
  } finally {
    resumed.close();
    await fake.close();
  }
});

Deno.test("rollout: upstream's session resumes with the request upstream itself sent", async () => {
  const home = await tempDir("rollout-home-");
  const sessions = join(home, "sessions", "2026", "11", "24");
  await mkdir(sessions, { recursive: true });
  const fixture = await readFile(join(FIXTURES, "rollouts", "b-exec-command.jsonl"), "utf8");
  const id = "01a20d7c-d7d8-7560-be49-48a67f652ae7";
  await writeFile(join(sessions, `rollout-2026-11-24T12-16-55-${id}.jsonl`), fixture);
  const fake = await fakeServer({ responses: [answer("Continuing.")] });
  // Upstream's cwd for that session, as recorded: --last looks for sessions started there.
  const run = await resume(home, "/tmp/codexwd.VqVH2Q", fake);
  try {
    await run.agent.runTurn(["continue"]);
    const upstream = JSON.parse(
      await readFile(join(FIXTURES, "requests", "f-resume-of-b.input.json"), "utf8"),
    );
    assert.deepEqual(inputOf(fake, 0), upstream);
  } finally {
    run.close();
    await fake.close();
  }
});

Deno.test("rollout: kill -9 mid exec_command leaves a rollout that resumes with every call paired", async () => {
  const home = await tempDir("rollout-home-");
  const cwd = await gitWorkspace("rollout-cwd-");
  // The command reports its pid through a FIFO: reading it waits until the command runs.
  const fifo = join(cwd, "pid.fifo");
  execFileSync("mkfifo", [fifo]);
  const cmd = `echo $$ > ${fifo}; exec sleep 60`;
  const fake = await fakeServer({
    responses: [
      {
        output: [{
          type: "function_call",
          call_id: "call_1",
          name: "exec_command",
          arguments: { cmd, yield_time_ms: 20_000 },
        }],
      },
      answer("Resumed."),
    ],
  });
  const script = join(ROOT, "src", "agent", "testdata", "recorded_agent.ts");
  const child = spawn(
    DENO,
    ["run", "-A", script, home, cwd, fake.baseUrl, "run the slow command"],
    {
      cwd,
      env: { ...process.env, HOME: cwd, SHELL: "/bin/bash" },
      stdio: "inherit",
    },
  );
  const exited = new Promise((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
  const commandPid = Number((await readFile(fifo, "utf8")).trim());
  child.kill("SIGKILL");
  assert.equal(await exited, "SIGKILL");
  process.kill(-commandPid, "SIGKILL"); // the command's own process group, orphaned by the kill

  const resumed = await resume(home, cwd, fake);
  try {
    const result = await resumed.agent.runTurn(["continue"]);
    assert.equal(result.lastMessage, "Resumed.");
    const input = inputOf(fake, 1);
    assert.deepEqual(requestInvariantViolations(fake.requests[1].body), []);
    assert.deepEqual(input.map((i) => (i.type === "message" ? i.role : i.type)), [
      "developer",
      "user",
      "user",
      "function_call",
      "function_call_output",
      "user",
    ]);
    assert.deepEqual(input[2].content, [{ type: "input_text", text: "run the slow command" }]);
    assert.deepEqual(input[4], {
      type: "function_call_output",
      call_id: "call_1",
      output: "aborted",
    });
    assert.equal((await readdir(dirname(resumed.path))).length, 1);
  } finally {
    resumed.close();
    await fake.close();
  }
});
