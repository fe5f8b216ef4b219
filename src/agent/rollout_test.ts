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
import { gitWorkspace, tempDir, within } from "../testing/mod.ts";
import { fakeServer, LIST_FILES, startRecordedAgent } from "./testdata/recorded_agent.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** Conformance recordings of upstream 0.115.0, one folder per scenario. */
const UPSTREAM = join(ROOT, "fixtures", "upstream", "0.115.0");
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
    const upstream = await lines(join(UPSTREAM, "exec-command", "rollouts", "1.jsonl"));
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

    const parsed = parseRollout(await readFile(run.path, "utf8"));
    assert.deepEqual([parsed.invalid, parsed.ignored, parsed.truncated], [0, 0, false]);
    const rebuilt = rebuildSession(parsed.entries);
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
        (l.payload.info as { total_token_usage: { total_tokens: number } } | null)
          ?.total_token_usage.total_tokens
      );
    const [opening, closing] = totals(after.slice(before.length));
    assert.equal(opening, totals(before).at(-1));
    assert.ok(opening! > 0 && closing! > opening!);

    const rebuilt = rebuildSession(parseRollout(await readFile(first.path, "utf8")).entries);
    assert.deepEqual(rebuilt.history, resumed.agent.history);
  } finally {
    resumed.close();
    await fake.close();
  }
});

Deno.test("rollout: upstream's session resumes with the request upstream itself sent", async () => {
  // The conformance recording has placeholders for the volatile values; real ones take their place.
  const home = await tempDir("rollout-home-");
  const cwd = await tempDir("rollout-cwd-");
  const id = "01a20d7c-d7d8-7560-be49-48a67f652ae7";
  const real = (text: string) => text.replaceAll("<SESSION#1>", id).replaceAll("<CWD>", cwd);
  const recorded = (await readFile(join(UPSTREAM, "resume", "rollouts", "1.jsonl"), "utf8"))
    .split("\n");
  // The file as upstream's first run left it: up to the second turn's task_started.
  const secondTurn = recorded.findIndex((line, i) =>
    i > 1 && line.includes('"type":"event_msg","payload":{"type":"task_started"')
  );
  const sessions = join(home, "sessions", "2026", "11", "24");
  await mkdir(sessions, { recursive: true });
  await writeFile(
    join(sessions, `rollout-2026-11-24T12-16-55-${id}.jsonl`),
    real(recorded.slice(0, secondTurn).join("\n") + "\n"),
  );
  const upstreamRequest = JSON.parse(
    real(await readFile(join(UPSTREAM, "resume", "run-2", "requests", "001.json"), "utf8")),
  );
  const fake = await fakeServer({ responses: [answer("Continued.")] });
  const run = await resume(home, cwd, fake);
  try {
    assert.equal(run.agent.sessionId, id);
    await run.agent.runTurn(["continue"]);
    assert.deepEqual(inputOf(fake, 0), upstreamRequest.body.input);
  } finally {
    run.close();
    await fake.close();
  }
});

Deno.test("rollout: a compaction is recorded so that resuming gets the compacted history", async () => {
  const usage = { input_tokens: 5_000, output_tokens: 10 };
  const fake = await fakeServer({
    responses: [
      { ...answer("First answer."), usage },
      answer("What happened so far."), // the summary the compaction asks for
      answer("Second answer."),
    ],
  });
  const home = await tempDir("rollout-home-");
  const cwd = await gitWorkspace("rollout-cwd-");
  const run = await startRecordedAgent({
    codexHome: home,
    cwd,
    baseUrl: fake.baseUrl,
    autoCompactTokenLimit: 1_000,
  });
  try {
    await run.agent.runTurn(["one"]);
    await run.agent.runTurn(["two"]);
    const recorded = await lines(run.path);
    const compacted = recorded.findIndex((l) => l.type === "compacted");
    assert.ok(compacted > 0, "a compacted line");
    // As upstream 0.115.0 writes it (fixtures/upstream/0.115.0/auto-compact).
    assert.deepEqual(recorded.slice(compacted, compacted + 4).map(shape), [
      "compacted",
      "turn_context",
      "event_msg/token_count",
      "event_msg/context_compacted",
    ]);
    assert.deepEqual(Object.keys(recorded[compacted].payload), ["message", "replacement_history"]);
    assert.match(String(recorded[compacted].payload.message), /What happened so far\.$/);
    const rebuilt = rebuildSession(parseRollout(await readFile(run.path, "utf8")).entries);
    assert.deepEqual(rebuilt.history, run.agent.history);
    assert.ok(
      !rebuilt.history.some((item) =>
        item.type === "message" && item.role === "assistant" &&
        JSON.stringify(item.content).includes("First answer.")
      ),
    );
  } finally {
    run.close();
    await fake.close();
  }
});

Deno.test("rollout: failed and interrupted turns end as upstream ends them", async () => {
  const fake = await fakeServer({
    responses: [
      { status: "failed", error: { code: "invalid_prompt", message: "refused" } },
      {
        output: [{ type: "message", text: "never finished" }],
        fault: { kind: "stall", after_events: 2 },
      },
    ],
  });
  const home = await tempDir("rollout-home-");
  const cwd = await gitWorkspace("rollout-cwd-");
  const abort = new AbortController();
  const run = await startRecordedAgent({ codexHome: home, cwd, baseUrl: fake.baseUrl });
  try {
    await assert.rejects(run.agent.runTurn(["first"]), /refused/);
    const failed = (await lines(run.path)).at(-1)!;
    assert.deepEqual(failed.payload, {
      type: "task_complete",
      turn_id: failed.payload.turn_id,
      last_agent_message: null,
    });
    // Interrupted while the second response stalls mid-stream.
    within(fake.waitForRequests(2), "the second request").finally(() => abort.abort());
    await assert.rejects(run.agent.runTurn(["second"], abort.signal));
    const interrupted = (await lines(run.path)).at(-1)!;
    assert.deepEqual(Object.keys(interrupted.payload), ["type", "turn_id", "reason"]);
    assert.equal(interrupted.payload.type, "turn_aborted");
    assert.equal(interrupted.payload.reason, "interrupted");
    const rebuilt = rebuildSession(parseRollout(await readFile(run.path, "utf8")).entries);
    assert.deepEqual(rebuilt.userMessages, ["first", "second"]);
    assert.deepEqual(rebuilt.history, run.agent.history);
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
  const commandPid = Number(
    (await within(readFile(fifo, "utf8"), "the command to report its pid")).trim(),
  );
  child.kill("SIGKILL");
  assert.equal(await within(exited, "the killed agent to exit"), "SIGKILL");
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
