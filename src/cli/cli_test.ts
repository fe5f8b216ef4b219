// The CLI as a user runs it: a real subprocess, real temp dirs, a real fake server.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, realpath, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requestInvariantViolations, type ScenarioInput } from "../fake/mod.ts";
import { until, within } from "../testing/mod.ts";
import { CLI, runCli, type ScriptedProvider, withScriptedProvider } from "./cli_testing.ts";

/** The text of every rollout under CODEX_HOME=`home`. */
async function rolloutText(home: string): Promise<string> {
  const found = await Array.fromAsync(walk(join(home, "sessions")));
  return (await Promise.all(found.map((file) => readFile(file, "utf8")))).join("");
}

async function* walk(dir: string): AsyncGenerator<string> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else yield path;
  }
}

async function tempDir(prefix: string): Promise<string> {
  return await realpath(await mkdtemp(join(tmpdir(), prefix)));
}

/**
 * A git work dir (also HOME and CODEX_HOME) whose config.toml points a `local` provider at a fake
 * server scripted with `scenario`; `head` opens the file (e.g. a model), `provider` ends the table.
 */
function withLocalProvider(
  prefix: string,
  scenario: ScenarioInput,
  fn: (t: ScriptedProvider) => Promise<void>,
  config: { head?: string; provider?: string } = {},
): Promise<void> {
  return withScriptedProvider(scenario, fn, { prefix, ...config });
}

Deno.test("offline demo: no config.toml runs real commands and answers from their output", async () => {
  const work = await tempDir("tscodex-demo-");
  await writeFile(join(work, "marker-file.txt"), "x");
  const result = await runCli(["exec", "--skip-git-repo-check", "Show me what you can do."], {
    cwd: work,
    env: { HOME: work, CODEX_HOME: join(work, "no-home") },
  });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /running offline against the built-in demo/);
  // Only a real `pwd && ls` in this temp folder can put these into the answer.
  assert.ok(result.stdout.includes(work), result.stdout);
  assert.ok(result.stdout.includes("marker-file.txt"), result.stdout);
  assert.ok(!result.stdout.includes("no output for"), result.stdout);
});

Deno.test("exec outside a git repository needs --skip-git-repo-check", async () => {
  const work = await tempDir("tscodex-nogit-");
  const result = await runCli(["exec", "hi"], { cwd: work, env: { HOME: work, CODEX_HOME: work } });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /--skip-git-repo-check/);
});

Deno.test("usage errors exit 2 with a message", async () => {
  const work = await tempDir("tscodex-usage-");
  const env = { HOME: work, CODEX_HOME: work };
  for (
    const args of [["bogus-command"], ["exec", "--no-such-flag", "x"], [
      "fake-server",
      "--port",
      "99999",
    ]]
  ) {
    const result = await runCli(args, { cwd: work, env });
    assert.equal(result.code, 2, args.join(" "));
    assert.match(result.stderr, /error|Error/);
  }
  const version = await runCli(["--version"], { cwd: work, env });
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^tscodex \d+\.\d+\.\d+/);
});

Deno.test("exec against a configured provider; a failed turn exits 1 with ERROR:", async () => {
  await withLocalProvider(
    "tscodex-provider-",
    {
      responses: [
        { output: [{ type: "message", text: "configured answer" }] },
        { status: "failed", error: { code: "invalid_prompt", message: "the prompt was refused" } },
      ],
    },
    async ({ work, server, env: home }) => {
      const env = { ...home, LOCAL_KEY: "sk-local-secret" };
      const ok = await runCli(["exec", "say hi"], { cwd: work, env });
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(ok.stdout, "configured answer\n");
      const body = server.requests[0].body as { model: string; input: unknown[] };
      assert.equal(body.model, "m1");
      assert.equal(server.requests[0].headers.authorization, "Bearer <redacted>");

      const failed = await runCli(["exec", "-"], { cwd: work, env, stdin: "from stdin\n" });
      assert.equal(failed.code, 1);
      assert.match(failed.stderr, /^ERROR: .*the prompt was refused/m);
      const piped = server.requests[1].body as {
        input: Array<{ content?: Array<{ text?: string }> }>;
      };
      assert.equal(piped.input.at(-1)?.content?.[0]?.text, "from stdin");
      assert.ok(!failed.stderr.includes("sk-local-secret"));
    },
    { head: `model = "m1"\n`, provider: `env_key = "LOCAL_KEY"\n` },
  );
});

Deno.test("kill -9 during a command, then exec resume --last continues with every call paired", async () => {
  await withLocalProvider(
    "tscodex-crash-",
    {
      responses: [
        {
          output: [{
            type: "function_call",
            call_id: "long",
            name: "exec_command",
            arguments: { cmd: "sleep 30" },
          }],
        },
        { output: [{ type: "message", text: "resumed fine" }] },
      ],
    },
    async ({ work, server, env }) => {
      const child = spawn(CLI[0], [...CLI.slice(1), "exec", "start the long job"], {
        cwd: work,
        env: { PATH: "/usr/bin:/bin", ...env },
        stdio: "ignore",
      });
      // The call is recorded (and its command starting) once the rollout holds the function_call.
      await within(server.waitForRequests(1), "the first request");
      await until(
        async () => (await rolloutText(work)).includes('"type":"function_call"'),
        "the function_call in the rollout",
      );
      const exited = new Promise((resolve) => child.on("close", resolve));
      child.kill("SIGKILL");
      await within(exited, "the killed CLI to exit");
      const resumed = await runCli(["exec", "resume", "--last", "continue"], { cwd: work, env });
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.equal(resumed.stdout, "resumed fine\n");
      const body = server.requests[1].body as { input: Array<Record<string, unknown>> };
      const texts = JSON.stringify(body.input);
      assert.ok(texts.includes("start the long job"), "the first prompt is kept");
      assert.deepEqual(requestInvariantViolations(body), []);
      const output = body.input.find((i) =>
        i.type === "function_call_output" && i.call_id === "long"
      );
      assert.equal(output?.output, "aborted");
      assert.match(JSON.stringify(body.input.at(-1)), /continue/);
    },
    { head: `model = "m1"\n` },
  );
});

Deno.test("exec resume by id appends to the same rollout", async () => {
  await withLocalProvider(
    "tscodex-resume-",
    {
      responses: [{ output: [{ type: "message", text: "one" }] }, {
        output: [{ type: "message", text: "two" }],
      }],
    },
    async ({ work, server, env }) => {
      const first = await runCli(["exec", "--json", "first"], { cwd: work, env });
      const threadId = JSON.parse(first.stdout.split("\n")[0]).thread_id;
      const second = await runCli(["exec", "resume", threadId, "second"], { cwd: work, env });
      assert.equal(second.code, 0, second.stderr);
      assert.equal(second.stdout, "two\n");
      assert.equal(server.requests[1].headers.session_id, threadId);
      const missing = await runCli(
        ["exec", "resume", "01234567-89ab-7cde-8f01-23456789abcd", "x"],
        {
          cwd: work,
          env,
        },
      );
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /no session with id/);
    },
  );
});

Deno.test("exec resume tells the model what changed: sandbox, model, folder; nothing when unchanged", async () => {
  const reply = (text: string) => ({ output: [{ type: "message" as const, text }] });
  await withLocalProvider(
    "tscodex-resume-settings-",
    {
      responses: [reply("one"), reply("two"), reply("three"), reply("four")],
    },
    async ({ work, server, env }) => {
      await mkdir(join(work, "sub"));
      const texts = (n: number) =>
        (server.requests[n].body as { input: Array<Record<string, unknown>> }).input.map((item) =>
          `${item.role}: ${
            (item.content as Array<{ text: string }>).map((c) => c.text.split("\n")[0]).join(" | ")
          }`
        );
      assert.equal((await runCli(["exec", "first"], { cwd: work, env })).code, 0);
      const resume = (...args: string[]) =>
        runCli(["exec", ...args.slice(0, -1), "resume", "--last", "--all", args.at(-1)!], {
          cwd: work,
          env,
        });
      assert.equal((await resume("-s", "workspace-write", "second")).code, 0);
      assert.deepEqual(texts(1).slice(4), [
        "developer: <permissions instructions>",
        "user: second",
      ]);
      assert.match(JSON.stringify(server.requests[1].body), /`workspace-write`/);

      assert.equal((await resume("-s", "workspace-write", "third")).code, 0);
      assert.deepEqual(texts(2).slice(7), ["user: third"], "the same settings add nothing");

      const moved = await resume("-s", "workspace-write", "-m", "m2", "-C", join(work, "sub"), "4");
      assert.equal(moved.code, 0, moved.stderr);
      assert.deepEqual(texts(3).slice(9), [
        "developer: <model_switch>",
        "user: <environment_context>",
        "user: 4",
      ]);
      const input = (server.requests[3].body as { input: unknown[] }).input;
      assert.match(JSON.stringify(input.at(-2)), /<cwd>[^<]*\/sub<\/cwd>/);
      // Recorded as upstream records them: before the turn's settings and its user message.
      const kinds = (await rolloutText(work)).trim().split("\n").map((line) => {
        const { type, payload } = JSON.parse(line);
        return type === "response_item" ? `${payload.role}` : type === "turn_context" ? type : "";
      }).filter(Boolean).slice(-6);
      assert.deepEqual(kinds, [
        "assistant",
        "developer",
        "user",
        "turn_context",
        "user",
        "assistant",
      ]);
    },
    { head: `model = "m1"\n` },
  );
});

Deno.test("exec resume: the token totals count the whole session, as upstream's do", async () => {
  const usage = { input_tokens: 1000, cached_input_tokens: 200, output_tokens: 50 };
  const reply = (text: string) => ({
    output: [{ type: "message" as const, text }],
    usage: { ...usage, reasoning_output_tokens: 0 },
  });
  await withLocalProvider(
    "tscodex-resume-usage-",
    { responses: [reply("a"), reply("b")] },
    async ({ work, env }) => {
      // `e` is exec's short name, as upstream's.
      const first = await runCli(["e", "first"], { cwd: work, env });
      assert.match(first.stderr, /tokens used\n850\n/);
      const second = await runCli(["exec", "--json", "resume", "--last", "second"], {
        cwd: work,
        env,
      });
      const completed = JSON.parse(second.stdout.trim().split("\n").at(-1)!);
      assert.deepEqual(completed, {
        type: "turn.completed",
        usage: { input_tokens: 2000, cached_input_tokens: 400, output_tokens: 100 },
      });
    },
  );
});

Deno.test("the REPL reads piped input, even lines sent before the session is open; -s reaches it", async () => {
  await withLocalProvider(
    "tscodex-repl-pipe-",
    {
      responses: [{ output: [{ type: "message", text: "first reply" }] }, {
        output: [{ type: "message", text: "second reply" }],
      }],
    },
    async ({ work, server, env }) => {
      const run = await runCli(["-s", "workspace-write"], {
        cwd: work,
        env,
        stdin: "hello\n/queue and then this\n",
      });
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /first reply/);
      assert.match(run.stdout, /second reply/);
      assert.equal(server.requests.length, 2);
      // Input ended before the turns did: no prompt is shown after that, and no error either.
      assert.doesNotMatch(run.stdout + run.stderr, /Error|readline was closed/);
      const developer = JSON.stringify((server.requests[0].body as { input: unknown[] }).input[0]);
      assert.match(developer, /`workspace-write`/);
    },
  );
});
