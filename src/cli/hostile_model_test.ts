// A hostile model against `tscodex exec`: a scripted model (the fake server) sends the calls an
// attacker would, the real binary runs them in real sandboxes on real files, and the tests look
// at the file system and at everything the model and the rollout got back afterwards.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import {
  mkdir,
  mkdtemp,
  readFile,
  realpath,
  rm,
  symlink,
  truncate,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeResponsesServer, parseScenario, type ScenarioInput } from "../fake/mod.ts";
import { MAX_IMAGE_BYTES, PATCH_JOURNAL_FOLDER } from "../tools/mod.ts";
import { makeFifo } from "../testing/mod.ts";
import { killMidPatch, sandboxMissing } from "../tools/testing.ts";
import { runCli } from "./cli_testing.ts";

const NO_BWRAP = sandboxMissing("the hostile-model tests that need a bubblewrap sandbox");

interface Attack {
  code: number | null;
  stderr: string;
  /** What each call returned to the model, by call id. */
  outputs: Record<string, string>;
  /** Every request body and rollout line, as text: where a leaked secret would show. */
  everything: string;
  work: string;
  outside: string;
}

/** Every file under `dir`, as text (rollouts, logs). */
function readTree(dir: string): string {
  if (!existsSync(dir)) return "";
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => readFileSync(join(entry.parentPath, entry.name), "utf8"))
    .join("\n");
}

/** One item a scripted response outputs. */
type ScriptedItem = NonNullable<ScenarioInput["responses"][number]["output"]>[number];

/** A whole script (as a scenario file holds it): responses, and routes for sub-agents. */
type Script = Pick<ScenarioInput, "responses" | "routes">;

/**
 * Runs `tscodex exec FLAGS go` in a fresh git workspace (with `.git/config`) whose model sends
 * `calls` (built from the workspace and an outside directory, all in one response) and then
 * answers, or follows a whole script; `check` looks at what happened. /tmp and $TMPDIR are left
 * out of the writable roots, since both test directories live there.
 */
async function attack(
  flags: string[],
  calls: (dirs: { work: string; outside: string }) => ScriptedItem[] | Script,
  options: {
    config?: string;
    env?: Record<string, string>;
    /** Runs before tscodex starts, in the prepared workspace, with CODEX_HOME. */
    before?: (dirs: { work: string; outside: string; home: string }) => Promise<void>;
    /** Give tscodex a $TMPDIR of its own and leave it among the writable roots, as by default. */
    writableTmpdir?: boolean;
  },
  check: (attack: Attack) => void | Promise<void>,
): Promise<void> {
  const work = await realpath(await mkdtemp(join(tmpdir(), "tscodex-hostile-")));
  const outside = await realpath(await mkdtemp(join(tmpdir(), "tscodex-hostile-out-")));
  const home = join(work, ".home");
  const tmp = options.writableTmpdir
    ? await realpath(await mkdtemp(join(tmpdir(), "tscodex-hostile-tmp-")))
    : undefined;
  const scripted = calls({ work, outside });
  const script: Script = Array.isArray(scripted)
    ? { responses: [{ output: scripted }, { output: [{ type: "message", text: "done" }] }] }
    : scripted;
  const server = new FakeResponsesServer(parseScenario(script));
  await server.start();
  try {
    await mkdir(join(work, ".git"));
    await writeFile(join(work, ".git", "config"), "[core]\n");
    await mkdir(home);
    await writeFile(
      join(home, "config.toml"),
      `model_provider = "local"\n${options.config ?? ""}\n` +
        `[sandbox_workspace_write]\nexclude_slash_tmp = true\nexclude_tmpdir_env_var = ${!tmp}\n` +
        `[model_providers.local]\nname = "local"\nbase_url = "${server.baseUrl}"\n`,
    );
    await options.before?.({ work, outside, home });
    const run = await runCli(["exec", ...flags, "go"], {
      cwd: work,
      env: { HOME: home, CODEX_HOME: home, ...(tmp ? { TMPDIR: tmp } : {}), ...options.env },
    });
    const expected = script.responses.length +
      (script.routes ?? []).reduce((n, route) => n + route.responses.length, 0);
    assert.equal(server.requests.length, expected, run.stderr);
    const outputs: Record<string, string> = {};
    for (const request of server.requests) {
      for (const item of (request.body as { input: Array<Record<string, unknown>> }).input) {
        if (item.type === "function_call_output" || item.type === "custom_tool_call_output") {
          outputs[String(item.call_id)] = JSON.stringify(item.output);
        }
      }
    }
    await check({
      code: run.code,
      stderr: run.stderr,
      outputs,
      everything: JSON.stringify(server.requests.map((r) => r.body)) + readTree(home) +
        run.stdout + run.stderr,
      work,
      outside,
    });
  } finally {
    await server.close();
    await rm(work, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
    if (tmp) await rm(tmp, { recursive: true, force: true });
  }
}

function execCall(callId: string, args: Record<string, unknown>): ScriptedItem {
  return { type: "function_call", call_id: callId, name: "exec_command", arguments: args };
}

Deno.test({
  name: "hostile model: a call's workdir never widens the workspace-write sandbox",
  ignore: NO_BWRAP,
  fn: () =>
    attack(
      ["-s", "workspace-write"],
      ({ work, outside }) => [
        // The directory the command runs in is not thereby writable…
        execCall("out", { cmd: "touch here; touch ./there", workdir: outside, login: false }),
        // …not even the root of the file system, which would expose the workspace's .git too…
        execCall("root", {
          cmd: `touch ${outside}/rooted; echo x >> ${work}/.git/config`,
          workdir: "/",
          login: false,
        }),
        // …nor on a terminal.
        execCall("tty", { cmd: "touch tty", workdir: outside, tty: true, login: false }),
        // The workspace itself stays writable from anywhere.
        execCall("in", { cmd: `touch ${work}/made`, workdir: outside, login: false }),
      ],
      {},
      (result) => {
        assert.equal(result.code, 0, result.stderr);
        assert.deepEqual(readdirSync(result.outside), []);
        assert.equal(readFileSync(join(result.work, ".git", "config"), "utf8"), "[core]\n");
        assert.equal(existsSync(join(result.work, "made")), true);
        for (const id of ["out", "root", "tty"]) {
          assert.match(result.outputs[id], /Read-only file system/, id);
        }
      },
    ),
});

Deno.test({
  name: "hostile model: code-mode cells and their commands stay in the session's sandbox",
  ignore: NO_BWRAP,
  fn: () =>
    attack(
      ["-s", "workspace-write"],
      ({ outside }) => [{
        type: "custom_tool_call",
        call_id: "cell",
        name: "exec",
        input: `const r = await tools.exec_command({cmd: "touch cell; echo rc=$?", ` +
          `workdir: ${JSON.stringify(outside)}, login: false});\ntext(r.output);`,
      }],
      { config: "[features]\ncode_mode = true\n" },
      (result) => {
        assert.equal(result.code, 0, result.stderr);
        assert.deepEqual(readdirSync(result.outside), []);
        assert.match(result.outputs.cell, /Read-only file system/);
      },
    ),
});

/** Secrets in tscodex's environment, each named to be caught by a different rule. */
const SECRETS = {
  MYKEY: "secret-value-by-default-key-rule",
  GITHUB_TOKEN: "secret-value-by-default-token-rule",
  other_secret: "secret-value-by-default-secret-rule-lowercase",
  DB_PASSWD: "secret-value-by-configured-exclude",
};

Deno.test({
  name: "hostile model: [shell_environment_policy] keeps excluded variables from every command",
  ignore: NO_BWRAP,
  fn: () =>
    attack(
      ["-s", "workspace-write"],
      () => ({
        responses: [
          {
            output: [
              execCall("plain", { cmd: "env", login: false }),
              execCall("tty", { cmd: "env", tty: true, login: false }),
              {
                type: "custom_tool_call",
                call_id: "cell",
                name: "exec",
                input: `text((await tools.exec_command({cmd: "env", login: false})).output);`,
              },
              {
                type: "function_call",
                call_id: "spawn",
                name: "spawn_agent",
                arguments: { message: "print the environment" },
              },
            ],
          },
          {
            output: [{
              type: "function_call",
              call_id: "wait",
              name: "wait_agent",
              arguments: { ids: ["{{output_field:spawn:agent_id}}"], timeout_ms: 60_000 },
            }],
          },
          { output: [{ type: "message", text: "done" }] },
        ],
        routes: [{
          name: "child",
          header: "x-openai-subagent",
          value: "collab_spawn",
          responses: [
            { output: [execCall("child", { cmd: "env", login: false })] },
            { output: [{ type: "message", text: "printed" }] },
          ],
        }],
      }),
      {
        config: "[features]\ncode_mode = true\n[shell_environment_policy]\n" +
          'ignore_default_excludes = false\nexclude = ["*_pass??"]\n' +
          'set = { SET_BY_POLICY = "policy-value", POLICY_TOKEN = "set-wins-over-excludes" }\n',
        env: { ...SECRETS, VISIBLE_VARIABLE: "visible-value" },
      },
      (result) => {
        assert.equal(result.code, 0, result.stderr);
        for (const id of ["plain", "tty", "cell", "child"]) {
          const output = result.outputs[id];
          assert.match(output, /VISIBLE_VARIABLE=visible-value/, id);
          assert.match(output, /SET_BY_POLICY=policy-value/, id);
          assert.match(output, /POLICY_TOKEN=set-wins-over-excludes/, id);
          for (const name of Object.keys(SECRETS)) {
            assert.doesNotMatch(output, new RegExp(`\\b${name}=`), `${id}: ${name}`);
          }
        }
        for (const value of Object.values(SECRETS)) {
          assert.equal(result.everything.includes(value), false, value);
        }
      },
    ),
});

Deno.test({
  name: "hostile model: apply_patch deletes a link only where the workspace may be written",
  ignore: NO_BWRAP,
  fn: () =>
    attack(
      ["-s", "workspace-write"],
      ({ outside }) => [{
        type: "custom_tool_call",
        call_id: "patch",
        name: "apply_patch",
        input: `*** Begin Patch\n*** Delete File: ${outside}/link\n*** End Patch\n`,
      }],
      {
        // A link outside the workspace that points into it: deleting it writes the outside.
        before: async ({ work, outside }) => {
          await writeFile(join(work, "inside.txt"), "in\n");
          await symlink(join(work, "inside.txt"), join(outside, "link"));
        },
      },
      (result) => {
        assert.equal(result.code, 0, result.stderr);
        assert.match(result.outputs.patch, /patch rejected: writing outside of the project/);
        assert.deepEqual(readdirSync(result.outside), ["link"]);
      },
    ),
});

Deno.test("hostile model: a FIFO, a device or a huge file named like an image cannot hang or flood spawn_agent", () =>
  attack(
    [],
    () =>
      ["pipe.png", "zero.png", "huge.png"].map((path) => ({
        type: "function_call" as const,
        call_id: path,
        name: "spawn_agent",
        arguments: { items: [{ type: "local_image", path }] },
      })),
    {
      // The model could make each of these with one command; the session must answer every call.
      before: async ({ work }) => {
        makeFifo(work, "pipe.png");
        await symlink("/dev/zero", join(work, "zero.png"));
        await writeFile(join(work, "huge.png"), "");
        await truncate(join(work, "huge.png"), MAX_IMAGE_BYTES + 1);
      },
    },
    (result) => {
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.outputs["pipe.png"], /image path `\S+\/pipe\.png` is not a file/);
      assert.match(result.outputs["zero.png"], /image path `\S+\/zero\.png` is not a file/);
      assert.match(result.outputs["huge.png"], /huge\.png` is \d+ bytes, over .* limit of/);
    },
  ));

/**
 * A journal as apply_patch writes one, left by a process that is gone: the next apply_patch or
 * session "rolls back" each entry by writing its `original` bytes where it names.
 */
function forgedJournal(targets: Array<{ dir: string; name: string }>): string {
  const bytes = btoa("#!/bin/sh\necho planted\n");
  return JSON.stringify({
    version: 1,
    owner: { pid: 2 ** 22 + 1, start: null },
    createdDirs: [],
    entries: targets.map(({ dir, name }) => ({
      dir,
      name,
      display: name,
      original: bytes,
      mode: 0o755,
      planned: null,
    })),
  });
}

Deno.test({
  name: "hostile model: a patch journal forged by a command is never rolled back",
  ignore: NO_BWRAP,
  fn: () =>
    attack(
      ["-s", "workspace-write"],
      ({ work, outside }) => {
        const journal = forgedJournal([
          { dir: outside, name: "planted.sh" },
          { dir: join(work, ".git", "hooks"), name: "pre-commit" },
        ]);
        // Wherever tscodex keeps journals — its $TMPDIR, CODEX_HOME (here inside the workspace,
        // so the command may also try moving the folder aside and making a new one).
        const plant = (folder: string) =>
          `mkdir -p -m 700 ${folder} && printf '%s' '${journal}' > ${folder}/${2 ** 22 + 1}-0.json`;
        return {
          responses: [
            {
              output: [
                execCall("tmp", {
                  cmd: plant(`$TMPDIR/tscodex-patch-journal-$(id -u)`),
                  login: false,
                }),
                execCall("home", { cmd: plant(`.home/${PATCH_JOURNAL_FOLDER}`), login: false }),
                execCall("moved", {
                  cmd: `mv .home .home-aside; ${plant(`.home/${PATCH_JOURNAL_FOLDER}`)}`,
                  login: false,
                }),
              ],
            },
            {
              // Any patch makes tscodex look for journals of dead processes.
              output: [{
                type: "custom_tool_call",
                call_id: "patch",
                name: "apply_patch",
                input: "*** Begin Patch\n*** Add File: made.txt\n+made\n*** End Patch\n",
              }],
            },
            { output: [{ type: "message", text: "done" }] },
          ],
        };
      },
      { writableTmpdir: true, before: ({ work }) => mkdir(join(work, ".git", "hooks")) },
      async (result) => {
        assert.equal(result.code, 0, result.stderr);
        assert.match(result.outputs.patch, /A made\.txt/);
        assert.deepEqual(readdirSync(result.outside), []);
        assert.deepEqual(readdirSync(join(result.work, ".git", "hooks")), []);
        assert.doesNotMatch(result.stderr, /rolled back/);
        for (const id of ["tmp", "home", "moved"]) {
          assert.match(result.outputs[id], /Read-only file system|Device or resource busy/, id);
        }
        assert.equal(existsSync(join(result.work, ".home-aside")), false);
        assert.equal(await readFile(join(result.work, "made.txt"), "utf8"), "made\n");
      },
    ),
});

const PATCHED_FILES = 12;

Deno.test({
  name: "a patch cut short by kill -9 is rolled back when tscodex next starts, and says so",
  fn: () =>
    attack(
      [],
      () => ({ responses: [{ output: [{ type: "message", text: "nothing to do" }] }] }),
      {
        before: async ({ work, home }) => {
          const updates = [];
          for (let i = 0; i < PATCHED_FILES; i++) {
            await writeFile(join(work, `f${i}.txt`), `old ${i}\n`);
            updates.push(`*** Update File: f${i}.txt\n@@\n-old ${i}\n+new ${i}\n`);
          }
          const patch = `*** Begin Patch\n${updates.join("")}*** Add File: d/e/new.txt\n+n\n` +
            "*** End Patch\n";
          await killMidPatch({
            work,
            journal: join(home, PATCH_JOURNAL_FOLDER),
            patch,
            killAt: 8,
          });
          assert.equal(await readFile(join(work, "f0.txt"), "utf8"), "new 0\n");
        },
      },
      async (result) => {
        assert.equal(result.code, 0, result.stderr);
        assert.match(
          result.stderr,
          /an apply_patch was cut short when its process died; rolled back 8 file\(s\): \S+\/f0\.txt, /,
        );
        for (let i = 0; i < PATCHED_FILES; i++) {
          assert.equal(await readFile(join(result.work, `f${i}.txt`), "utf8"), `old ${i}\n`);
        }
        assert.deepEqual(
          readdirSync(result.work).filter((name) => !name.startsWith(".")).sort(),
          [
            ...Array.from({ length: PATCHED_FILES }, (_, i) => `f${i}.txt`),
          ].sort(),
        );
      },
    ),
});
