// The sandbox through `tscodex exec` as a user runs it: a real subprocess, a scripted model asking
// for real commands, and what those commands could do to real files.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, realpath, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeResponsesServer, parseScenario } from "../fake/mod.ts";
import { sandboxMissing } from "../tools/testing.ts";
import { runCli } from "./cli_testing.ts";

const NO_BWRAP = sandboxMissing("the exec tests that need a bubblewrap sandbox");

interface Outcome {
  code: number | null;
  stderr: string;
  /** What the command call returned to the model. */
  output: string;
  /** The `sandbox` of the request's x-codex-turn-metadata header. */
  sandboxTag: string;
  work: string;
  outside: string;
}

/**
 * Runs `tscodex exec ARGS` in a fresh git workspace whose model calls `tool` with `args` (built
 * from the workspace and an outside directory), then answers; `check` looks at the outcome, and
 * both directories are removed afterwards whatever happened.
 */
async function execWith(
  flags: string[],
  call: (dirs: { work: string; outside: string }) => { tool?: string; args: object },
  options: { config?: string; env?: Record<string, string> },
  check: (outcome: Outcome) => void | Promise<void>,
): Promise<void> {
  const work = await realpath(await mkdtemp(join(tmpdir(), "tscodex-sandbox-cli-")));
  const outside = await realpath(await mkdtemp(join(tmpdir(), "tscodex-sandbox-cli-out-")));
  const { tool = "exec_command", args } = call({ work, outside });
  const server = new FakeResponsesServer(parseScenario({
    responses: [
      { output: [{ type: "function_call", call_id: "c1", name: tool, arguments: args }] },
      { output: [{ type: "message", text: "done" }] },
    ],
  }));
  await server.start();
  try {
    await mkdir(join(work, ".git"));
    await writeFile(join(work, ".git", "config"), "[core]\n");
    await writeFile(join(work, "marker.txt"), "readable\n");
    await writeFile(
      join(work, "config.toml"),
      `model_provider = "local"\n${options.config ?? ""}` +
        `[model_providers.local]\nname = "local"\n` +
        `base_url = "${server.baseUrl}"\n`,
    );
    const run = await runCli(["exec", ...flags, "go"], {
      cwd: work,
      env: { HOME: work, CODEX_HOME: work, ...options.env },
    });
    assert.equal(server.requests.length, 2, run.stderr);
    const input = (server.requests[1].body as { input: Array<Record<string, unknown>> }).input;
    const output = input.find((item) => item.type === "function_call_output")?.output;
    const metadata = JSON.parse(server.requests[0].headers["x-codex-turn-metadata"]);
    await check({
      code: run.code,
      stderr: run.stderr,
      output: String(output),
      sandboxTag: metadata.sandbox,
      work,
      outside,
    });
  } finally {
    await server.close();
    await rm(work, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  }
}

const WRITES = ({ outside }: { outside: string }) => ({
  args: {
    cmd: `cat marker.txt; touch made; echo x >> .git/config; touch ${outside}/out; echo end`,
    login: false,
  },
});

Deno.test({
  name: "exec: read-only by default — commands read but write nothing",
  ignore: NO_BWRAP,
  fn: () =>
    execWith([], WRITES, {}, (outcome) => {
      assert.equal(outcome.code, 0, outcome.stderr);
      // stdout and stderr reach the reply through two pipes: their lines may interleave any way.
      assert.match(outcome.output, /Output:\n[^]*readable\n/);
      assert.match(outcome.output, /\nend\n/);
      assert.equal(outcome.output.match(/Read-only file system/g)?.length, 3, outcome.output);
      assert.equal(existsSync(join(outcome.work, "made")), false);
      assert.equal(existsSync(join(outcome.outside, "out")), false);
      assert.equal(outcome.sandboxTag, "seccomp");
    }),
});

Deno.test({
  name: "exec -s workspace-write: the workspace is writable, .git and other dirs are not",
  ignore: NO_BWRAP,
  fn: () =>
    execWith(
      ["-s", "workspace-write"],
      WRITES,
      // /tmp holds the outside dir here; leave it out of the writable roots.
      {
        config:
          "[sandbox_workspace_write]\nexclude_slash_tmp = true\nexclude_tmpdir_env_var = true\n",
      },
      async (outcome) => {
        assert.equal(outcome.code, 0, outcome.stderr);
        assert.equal(existsSync(join(outcome.work, "made")), true);
        assert.equal(await readFile(join(outcome.work, ".git", "config"), "utf8"), "[core]\n");
        assert.equal(existsSync(join(outcome.outside, "out")), false);
        assert.equal(outcome.sandboxTag, "seccomp");
        // The banner lists the writable roots as upstream's does; /tmp and $TMPDIR are excluded,
        // CODEX_HOME/memories is always there.
        assert.match(outcome.stderr, /^sandbox: workspace-write \[workdir, \/\S+\/memories\]$/m);
      },
    ),
});

Deno.test("exec --dangerously-bypass-approvals-and-sandbox: writes anywhere, tagged none", () =>
  execWith(["--dangerously-bypass-approvals-and-sandbox"], WRITES, {}, (outcome) => {
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.equal(existsSync(join(outcome.work, "made")), true);
    assert.equal(existsSync(join(outcome.outside, "out")), true);
    assert.equal(outcome.sandboxTag, "none");
  }));

Deno.test("exec always runs with approval never: an escalation is refused and the model told", () =>
  execWith(
    [],
    () => ({
      args: { cmd: "touch made", sandbox_permissions: "require_escalated", justification: "ok?" },
    }),
    { config: 'approval_policy = "on-request"\n' },
    (outcome) => {
      assert.equal(
        outcome.output,
        "approval policy is Never; reject command — you cannot ask for escalated permissions if " +
          "the approval policy is Never",
      );
      assert.equal(existsSync(join(outcome.work, "made")), false);
      assert.match(outcome.stderr, /approval: never/);
    },
  ));

Deno.test("exec without bubblewrap: warns, fails the command with the fix, never runs it", () =>
  execWith(
    [],
    () => ({ args: { cmd: "/usr/bin/touch made", login: false } }),
    { env: { PATH: "/nonexistent" } },
    (outcome) => {
      assert.equal(outcome.code, 0, outcome.stderr);
      assert.match(outcome.stderr, /warning: the command sandbox needs bubblewrap/);
      assert.match(outcome.output, /apt-get install bubblewrap/);
      assert.match(outcome.output, /-s danger-full-access/);
      assert.equal(existsSync(join(outcome.work, "made")), false);
    },
  ));
