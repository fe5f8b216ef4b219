// TSCODEX_DEBUG_LOG=DIR as a user turns it on: real runs against a scripted model, then the files.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ScenarioInput } from "../fake/mod.ts";
import { runCli, withScriptedProvider } from "./cli_testing.ts";

/** A scripted provider (no retries) with TSCODEX_DEBUG_LOG set to `logs` in the work dir. */
function withProvider(
  scenario: ScenarioInput,
  fn: (t: { work: string; env: Record<string, string>; logs: string }) => Promise<void>,
): Promise<void> {
  return withScriptedProvider(scenario, ({ work, env }) => {
    const logs = join(work, "logs");
    return fn({ work, logs, env: { ...env, TSCODEX_DEBUG_LOG: logs } });
  }, { head: 'model = "m1"\n', provider: "request_max_retries = 0\nstream_max_retries = 0\n" });
}

/** The phase.log lines without their time stamps: `start load configuration`, … */
function phases(logs: string): string[] {
  return readFileSync(join(logs, "phase.log"), "utf8").trimEnd().split("\n").map((line) => {
    const match = /^\S+Z pid \d+ \+\d+ms (start|done|failed|note) +(.*)$/.exec(line);
    assert.ok(match, `a phase line: ${line}`);
    return `${match[1].trim()} ${match[2].replace(/\(\d+ ms/, "(N ms")}`;
  });
}

Deno.test("debug log: setup steps, the turn, its requests and tool calls as phases; failed tool calls in tool_errors.jsonl", async () => {
  const scenario: ScenarioInput = {
    responses: [
      {
        output: [
          { type: "function_call", call_id: "c_unknown", name: "no_such_tool", arguments: {} },
          { type: "function_call", call_id: "c_bad", name: "exec_command", arguments: "{oops" },
        ],
      },
      { output: [{ type: "message", text: "done" }] },
    ],
  };
  await withProvider(scenario, async ({ work, env, logs }) => {
    const run = await runCli(["exec", "secret prompt text"], { cwd: work, env });
    assert.equal(run.code, 0, run.stderr);
    const lines = phases(logs);
    for (
      const expected of [
        "start tscodex 0.1.0 exec",
        "start load configuration",
        "done load configuration (N ms)",
        "done read the resumed session (N ms)",
        "done build the tools (N ms)",
        "done open the rollout (N ms)",
        "start main request 1",
        "start main tool no_such_tool c_unknown",
        "done main tool exec_command c_bad (N ms)",
        "start main request 2",
        "done exit 0",
      ]
    ) assert.ok(lines.includes(expected), `${expected} in:\n${lines.join("\n")}`);
    assert.ok(lines.some((line) => /^start main turn \S+$/.test(line)), lines.join("\n"));
    assert.ok(lines.some((line) => /^done main turn \S+ \(N ms\)$/.test(line)), lines.join("\n"));
    assert.ok(lines.some((line) => /^done main request 1 \(N ms, \d+ tokens\)$/.test(line)));
    assert.ok(!lines.join("\n").includes("secret prompt text"), "no prompt in the log");

    const errors = readFileSync(join(logs, "tool_errors.jsonl"), "utf8").trimEnd().split("\n")
      .map((line) => JSON.parse(line));
    assert.deepEqual(
      errors.map((e) => [e.call_id, e.tool, e.reason, e.thread]),
      [
        ["c_unknown", "no_such_tool", "unsupported", "main"],
        ["c_bad", "exec_command", "bad_arguments", "main"],
      ],
    );
    assert.match(errors[1].message, /^failed to parse function arguments: /);
    assert.equal(existsSync(join(logs, "fatal_error.txt")), false, "nothing failed");
  });
});

Deno.test("debug log: a run that fails leaves its whole error, stack included, in fatal_error.txt", async () => {
  const body = { error: { message: "Unsupported parameter." } };
  await withProvider(
    { responses: [{ fault: { kind: "http_status", status: 400, body } }] },
    async ({ work, env, logs }) => {
      const run = await runCli(["exec", "hi"], { cwd: work, env });
      assert.equal(run.code, 1);
      const fatal = readFileSync(join(logs, "fatal_error.txt"), "utf8");
      assert.match(fatal, /^=== \S+Z pid \d+ tscodex 0\.1\.0 exec\nResponsesHttpError: /);
      assert.match(fatal, /Unsupported parameter\./);
      assert.match(fatal, /\n\s+at .*client\.ts/, "the stack is kept");
      assert.ok(phases(logs).some((line) => /^failed main turn \S+ \(N ms\): /.test(line)));
      // On screen it is still one sentence and a hint, no stack.
      assert.doesNotMatch(run.stderr, /\n\s+at /);

      // A failure before any session: main's last line of defence writes it too.
      await writeFile(join(work, "not-a-folder"), "x");
      const early = await runCli(["exec", "hi"], {
        cwd: work,
        env: { ...env, CODEX_HOME: join(work, "not-a-folder") },
      });
      assert.equal(early.code, 1);
      assert.match(readFileSync(join(logs, "fatal_error.txt"), "utf8"), /ConfigError: CODEX_HOME/);
    },
  );
});

Deno.test("debug log: a folder that cannot be written is one warning, and the run goes on", async () => {
  await withProvider(
    { responses: [{ output: [{ type: "message", text: "fine" }] }] },
    async ({ work, env }) => {
      await writeFile(join(work, "a-file"), "x");
      const logs = join(work, "a-file", "logs");
      const run = await runCli(["exec", "hi"], {
        cwd: work,
        env: { ...env, TSCODEX_DEBUG_LOG: logs },
      });
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, "fine\n");
      const warnings = run.stderr.split("\n").filter((line) => line.includes("debug log"));
      assert.deepEqual(warnings, [
        `tscodex: warning: cannot write the debug log in ${logs} (TSCODEX_DEBUG_LOG): a part of ` +
        "the path is not a folder (ENOTDIR); it is off for this run",
      ]);
    },
  );
});
