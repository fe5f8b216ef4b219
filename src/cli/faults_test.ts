// Faults are never silent: a full disk at start and mid-turn, standard output on a full disk, a
// rollout damaged by a crash or by hand. Real subprocesses, a real tmpfs, a scripted model.
import assert from "node:assert/strict";
import { closeSync, openSync, readFileSync } from "node:fs";
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { requestInvariantViolations, type ScenarioInput } from "../fake/mod.ts";
import { fillDisk, NO_TMPFS, tempDir, withTmpfs } from "../testing/mod.ts";
import { runCli, type ScriptedProvider, withScriptedProvider } from "./cli_testing.ts";

/** A scripted provider with CODEX_HOME made by `makeHome`. */
function withProvider(
  scenario: ScenarioInput | ((home: string) => ScenarioInput),
  makeHome: (use: (home: string) => Promise<void>) => Promise<void>,
  fn: (setup: ScriptedProvider) => Promise<void>,
): Promise<void> {
  return withScriptedProvider(scenario, fn, { head: 'model = "m1"\n', home: makeHome });
}

const onTmpfs = (fn: (home: string) => Promise<void>) => withTmpfs(512, fn);

/** CODEX_HOME in an ordinary temp folder. */
async function inTemp(fn: (home: string) => Promise<void>): Promise<void> {
  const dir = await tempDir("tscodex-home-");
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function rolloutFiles(home: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.name.endsWith(".jsonl")) found.push(path);
    }
  };
  await walk(join(home, "sessions"));
  return found.sort();
}

/** The rollout's lines, parsed: every one must be whole JSON. */
async function rolloutLines(path: string): Promise<Array<{ type: string; payload: unknown }>> {
  const text = await readFile(path, "utf8");
  assert.ok(text.endsWith("\n"), `${path} ends with a whole line`);
  return text.trimEnd().split("\n").map((line) => JSON.parse(line));
}

const json = (stdout: string) => stdout.trim().split("\n").map((line) => JSON.parse(line));

/** The model runs a command that fills CODEX_HOME's disk and prints a lot: its output's line. */
function fillingCommand(home: string): ScenarioInput {
  return {
    responses: [
      {
        output: [{
          type: "function_call",
          call_id: "fill",
          name: "exec_command",
          arguments: { cmd: `head -c 100000000 /dev/zero > ${home}/filler; seq 1 5000` },
        }],
      },
      { output: [{ type: "message", text: "resumed after the disk filled" }] },
    ],
  };
}

const UNSANDBOXED = "--dangerously-bypass-approvals-and-sandbox";

Deno.test({
  name: "a full disk mid-turn: turn.failed naming the rollout and the cause, exit 1, every " +
    "line whole, and the session resumes once there is room",
  ignore: NO_TMPFS,
  fn: async () => {
    await withProvider(fillingCommand, onTmpfs, async (setup) => {
      const { work, home, env } = setup;
      const run = await runCli(["exec", "--json", UNSANDBOXED, "fill it"], { cwd: work, env });
      assert.equal(run.code, 1, run.stderr);
      const [rollout] = await rolloutFiles(home);
      const cause = `cannot write the rollout ${rollout}: no space left on device (ENOSPC)`;
      const events = json(run.stdout);
      assert.deepEqual(events.slice(-2).map((e) => e.type), ["error", "turn.failed"]);
      assert.ok(events.at(-1).error.message.startsWith(cause), events.at(-1).error.message);
      // Valid up to the last complete line: the call is there, its output could not be.
      const lines = await rolloutLines(rollout);
      assert.ok(lines.some((l) => JSON.stringify(l.payload).includes('"call_id":"fill"')));

      await rm(join(home, "filler"));
      const resumed = await runCli(["exec", "resume", "--last", "go on"], { cwd: work, env });
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.equal(resumed.stdout, "resumed after the disk filled\n");
      const body = setup.server.requests[1].body as { input: Array<Record<string, unknown>> };
      assert.deepEqual(requestInvariantViolations(body), []);
      const output = body.input.find((i) => i.type === "function_call_output");
      assert.equal(output?.call_id, "fill");
      await rolloutLines(rollout);
    });
  },
});

Deno.test({
  name: "a full disk mid-turn, plain log: one ERROR line naming the rollout and the cause",
  ignore: NO_TMPFS,
  fn: async () => {
    await withProvider(fillingCommand, onTmpfs, async (setup) => {
      const run = await runCli(["exec", UNSANDBOXED, "fill it"], {
        cwd: setup.work,
        env: setup.env,
      });
      assert.equal(run.code, 1);
      const [rollout] = await rolloutFiles(setup.home);
      const errors = run.stderr.split("\n").filter((line) => line.startsWith("ERROR"));
      assert.deepEqual(errors, [
        `ERROR: cannot write the rollout ${rollout}: no space left on device (ENOSPC); free ` +
        "some space on that disk, or set CODEX_HOME to a writable folder",
      ]);
      assert.doesNotMatch(run.stderr, /\n\s+at /, "no stack trace");
      await rolloutLines(rollout);
    });
  },
});

Deno.test({
  name: "a full disk at start: one line naming the rollout and the cause, exit 1, no request, " +
    "no empty session left",
  ignore: NO_TMPFS,
  fn: async () => {
    const scenario = { responses: [{ output: [{ type: "message" as const, text: "hi" }] }] };
    await withProvider(scenario, onTmpfs, async ({ work, home, server, env }) => {
      fillDisk(join(home, "filler"));
      for (const args of [["exec", "hello"], ["exec", "--json", "hello"]]) {
        const run = await runCli(args, { cwd: work, env });
        assert.equal(run.code, 1, args.join(" "));
        assert.match(
          run.stderr,
          /^Error: cannot (write|create) the rollout \S+\/sessions\/\S+\.jsonl: no space left on device \(ENOSPC\); free some space on that disk, or set CODEX_HOME to a writable folder\n$/,
        );
        assert.equal(run.stdout, "");
      }
      assert.equal(server.requests.length, 0);
      assert.deepEqual(await rolloutFiles(home), []);
    });
  },
});

Deno.test({
  name: "standard output on a full disk: the run stops and says so, exit 1",
  ignore: NO_TMPFS,
  fn: async () => {
    const answer = { output: [{ type: "message" as const, text: "long answer ".repeat(4000) }] };
    // Stdout is the full disk here; CODEX_HOME has room.
    await withProvider(
      { responses: [answer], after_last: "repeat_last" },
      inTemp,
      async ({ work, env }) => {
        await withTmpfs(64, async (disk) => {
          fillDisk(join(disk, "filler"));
          for (const args of [["exec", "hi"], ["exec", "--json", "hi"]]) {
            const out = openSync(join(disk, "out"), "w");
            const run = await runCli(args, { cwd: work, env, stdoutFd: out });
            closeSync(out);
            assert.equal(run.code, 1, args.join(" "));
            assert.match(
              run.stderr,
              /^Error: cannot write to standard output: no space left on device \(ENOSPC\); free some space on that disk$/m,
            );
            assert.doesNotMatch(run.stderr, /\n\s+at /, "no stack trace");
          }
        });
      },
    );
  },
});

Deno.test("resuming a damaged rollout reports the corrupted lines (count and numbers) and a cut-short last line, then continues", async () => {
  const reply = (text: string) => ({ output: [{ type: "message" as const, text }] });
  const scenario = { responses: [reply("one"), reply("two"), reply("three")] };
  await withProvider(scenario, inTemp, async ({ work, home, server, env }) => {
    assert.equal((await runCli(["exec", "first"], { cwd: work, env })).code, 0);
    const [rollout] = await rolloutFiles(home);
    const lines = readFileSync(rollout, "utf8").trimEnd().split("\n");
    // Lines 3 and 5 damaged by hand, and the last write cut short by a crash.
    lines[2] = "this is not json";
    lines[4] = JSON.stringify({ timestamp: "t", type: "response_item", payload: { role: 7 } });
    await writeFile(rollout, lines.join("\n") + '\n{"timestamp":"2026-01-01T00:00:00Z","ty');
    const total = lines.length + 1;

    const resumed = await runCli(["exec", "resume", "--last", "second"], { cwd: work, env });
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(resumed.stdout, "two\n");
    assert.match(
      resumed.stderr,
      new RegExp(
        `^tscodex: warning: rollout ${rollout}: 2 corrupted lines skipped \\(lines 3, 5; line 3: ` +
          `not JSON: "this is not json"\\); the last line \\(${total}\\) is incomplete, as a ` +
          "crash while writing leaves it, and is left out\\. The session resumes from the " +
          "readable lines\\.$",
        "m",
      ),
    );
    const input = JSON.stringify((server.requests[1].body as { input: unknown[] }).input);
    assert.match(input, /first/);
    // The torn tail is gone; only the two damaged lines remain unreadable.
    const after = readFileSync(rollout, "utf8").trimEnd().split("\n");
    assert.deepEqual(
      after.flatMap((line, i) => {
        try {
          JSON.parse(line);
          return [];
        } catch {
          return [i + 1];
        }
      }),
      [3],
    );
    const again = await runCli(["exec", "resume", "--last", "third"], { cwd: work, env });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /2 corrupted lines skipped \(lines 3, 5;/);
    assert.doesNotMatch(again.stderr, /incomplete/);
  });
});
