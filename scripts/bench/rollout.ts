// Benchmark of resuming a large session: writes a rollout of about --mb megabytes with the recorder
// (turns of a user message, reasoning, an exec_command call with a few KB of output, token counts,
// an answer), then times openSession() on it: read, parse, validate, rebuild the history.
// Usage: deno run -A scripts/bench/rollout.ts [--mb 50] [--runs 5]
import { mkdtempSync, statSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import {
  agentMessage,
  createSession,
  openSession,
  taskComplete,
  taskStarted,
  tokenCount,
  userMessage,
} from "../../src/session/mod.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { mb: { type: "string", default: "50" }, runs: { type: "string", default: "5" } },
});
const targetBytes = Number(values.mb) * 1024 * 1024;
const runs = Number(values.runs);

const home = mkdtempSync(join(tmpdir(), "tscodex-rollout-bench-"));
const cwd = process.cwd();
const { sessionId, path, recorder } = await createSession({
  codexHome: home,
  cwd,
  originator: "codex_exec",
  cliVersion: "bench",
  source: "exec",
  modelProvider: "bench",
  baseInstructions: "x".repeat(6_000),
  git: null,
});
const outputLine = "drwxr-xr-x  2 user user 4096 Jan  1 00:00 some-directory-name\n";
let turns = 0;
while (statSync(path).size < targetBytes) {
  const turnId = `turn-${turns}`;
  const callId = `call_${turns}`;
  recorder.recordEvent(taskStarted(turnId, 258_400));
  recorder.recordItems([{
    type: "message",
    role: "user",
    content: [{ type: "input_text", text: `step ${turns}: list the files and explain` }],
  }]);
  recorder.recordEvent(userMessage(`step ${turns}: list the files and explain`));
  recorder.recordEvent(tokenCount(null));
  recorder.recordItems([
    {
      type: "reasoning",
      summary: [{ type: "summary_text", text: "Listing the directory first." }],
      content: null,
      encrypted_content: "e".repeat(1_500),
    },
    {
      type: "function_call",
      name: "exec_command",
      arguments: JSON.stringify({ cmd: "ls -la" }),
      call_id: callId,
    },
    {
      type: "function_call_output",
      call_id: callId,
      output: `Command: /bin/bash -lc 'ls -la'\nChunk ID: abcdef\nWall time: 0.0100 seconds\n` +
        `Process exited with code 0\nOriginal token count: 1000\nOutput:\n` +
        outputLine.repeat(120),
    },
  ]);
  const answer = `Here is what I found in step ${turns}. `.repeat(12);
  recorder.recordEvent(agentMessage(answer, null));
  recorder.recordItems([{
    type: "message",
    role: "assistant",
    content: [{ type: "output_text", text: answer }],
  }]);
  recorder.recordEvent(taskComplete(turnId, answer));
  turns++;
}
recorder.close();
const size = statSync(path).size;

const times: number[] = [];
let items = 0;
for (let i = 0; i < runs; i++) {
  const started = performance.now();
  const opened = await openSession(home, { id: sessionId });
  times.push(performance.now() - started);
  items = opened.history.length;
  opened.recorder.close();
}
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)];
console.log(
  `${new Date().toISOString().slice(0, 10)}, ${cpus().length} × ${cpus()[0]?.model.trim()}, ` +
    `${Math.round(totalmem() / 2 ** 30)} GiB, ${process.versions.deno ? "Deno" : "Bun"} ` +
    `${process.versions.deno ?? process.versions.bun}, ${runs} runs\n`,
);
console.log("| measure | median | max |\n| --- | --- | --- |");
console.log(
  `| openSession of a ${(size / 2 ** 20).toFixed(1)} MiB rollout (${turns} turns, ` +
    `${items} history items) | ${median.toFixed(0)} ms | ${times.at(-1)!.toFixed(0)} ms |`,
);
