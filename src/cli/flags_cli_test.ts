// Flags and subcommands upstream has, through the CLI as a user runs it: help, versions, the
// interactive CLI's permission flags, -C, and the resume picker (input piped, as a script would).
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, realpath, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeResponsesServer, parseScenario } from "../fake/mod.ts";
import { runCli } from "./cli_testing.ts";
import { VERSION } from "./version.ts";

async function tempDir(prefix: string): Promise<string> {
  return await realpath(await mkdtemp(join(tmpdir(), prefix)));
}

const reply = (text: string) => ({ output: [{ type: "message" as const, text }] });

/** A CODEX_HOME whose config.toml points at a fake server answering with `texts`, in order. */
async function withProvider(
  texts: string[],
  fn: (home: string, server: FakeResponsesServer) => Promise<void>,
): Promise<void> {
  const home = await tempDir("tscodex-flags-");
  const server = new FakeResponsesServer(parseScenario({ responses: texts.map(reply) }));
  await server.start();
  try {
    await writeFile(
      join(home, "config.toml"),
      `model = "m"\nmodel_provider = "local"\n[model_providers.local]\nname = "local"\n` +
        `base_url = "${server.baseUrl}"\n`,
    );
    await fn(home, server);
  } finally {
    await server.close();
  }
}

/** Every line of every rollout under `home`, parsed (typed for the turn_context lines read). */
interface TurnContextLine {
  type: string;
  payload: {
    cwd: string;
    sandbox_policy: { type: string };
    approval_policy: string;
    effort: string;
  };
}

async function rolloutLines(home: string): Promise<TurnContextLine[]> {
  const dir = join(home, "sessions");
  const files = (await readdir(dir, { recursive: true })).filter((f) => f.endsWith(".jsonl"));
  const texts = await Promise.all(files.map((file) => readFile(join(dir, file), "utf8")));
  return texts.join("").trim().split("\n").map((line) => JSON.parse(line));
}

Deno.test("tscodex help, help exec and exec -V answer as upstream's do", async () => {
  const work = await tempDir("tscodex-help-");
  const env = { HOME: work, CODEX_HOME: work };
  const help = await runCli(["help"], { cwd: work, env });
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /Usage: tscodex/);
  assert.match(help.stdout, /exec/);
  const execHelp = await runCli(["help", "exec"], { cwd: work, env });
  assert.equal(execHelp.code, 0, execHelp.stderr);
  assert.match(execHelp.stdout, /Usage: tscodex exec/);
  assert.match(execHelp.stdout, /--skip-git-repo-check/);
  const version = await runCli(["exec", "-V"], { cwd: work, env });
  assert.equal(version.code, 0, version.stderr);
  assert.equal(version.stdout, `tscodex-exec ${VERSION}\n`);
});

Deno.test("exec with nothing on stdin and no prompt fails with exit 1, as upstream's", async () => {
  const work = await tempDir("tscodex-no-prompt-");
  // -i takes every value after it, so here there is no prompt (upstream reads stdin then, too).
  const run = await runCli(["exec", "--skip-git-repo-check", "-i", "a.png", "What is it?"], {
    cwd: work,
    env: { HOME: work, CODEX_HOME: work },
    stdin: "",
  });
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stderr, /no prompt/);
});

Deno.test("exec --yolo is the bypass flag: no sandbox, no approvals", async () => {
  await withProvider(["ok"], async (home) => {
    await mkdir(join(home, ".git"));
    const run = await runCli(["exec", "--yolo", "go"], {
      cwd: home,
      env: { HOME: home, CODEX_HOME: home },
    });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /approval: never/);
    assert.match(run.stderr, /sandbox: danger-full-access/);
  });
});

Deno.test("the REPL takes -C, -m, -c, -s, --full-auto and --yolo as upstream's interactive CLI does", async () => {
  const cases: Array<{ flags: string[]; sandbox: string; approval: string }> = [
    { flags: ["--full-auto"], sandbox: "workspace-write", approval: "on-request" },
    { flags: ["--yolo"], sandbox: "danger-full-access", approval: "never" },
    {
      flags: ["--dangerously-bypass-approvals-and-sandbox"],
      sandbox: "danger-full-access",
      approval: "never",
    },
    { flags: ["--full-auto", "-s", "read-only"], sandbox: "read-only", approval: "on-request" },
    {
      flags: ["-s", "workspace-write", "-a", "untrusted"],
      sandbox: "workspace-write",
      approval: "untrusted",
    },
  ];
  for (const { flags, sandbox, approval } of cases) {
    await withProvider(["hi"], async (home, server) => {
      const project = join(home, "project");
      await mkdir(join(project, ".git"), { recursive: true });
      const run = await runCli(
        [...flags, "-C", project, "-m", "m-flag", "-c", 'model_reasoning_effort="high"'],
        { cwd: home, env: { HOME: home, CODEX_HOME: home }, stdin: "hello\n" },
      );
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /hi/);
      const body = server.requests[0].body as { model: string; reasoning?: { effort?: string } };
      assert.equal(body.model, "m-flag", flags.join(" "));
      const context = (await rolloutLines(home)).find((line) => line.type === "turn_context")!;
      assert.equal(context.payload.cwd, project, "-C sets the work dir");
      assert.equal(context.payload.sandbox_policy.type, sandbox, flags.join(" "));
      assert.equal(context.payload.approval_policy, approval, flags.join(" "));
      assert.equal(context.payload.effort, "high", "-c reaches the REPL");
    });
  }
  const work = await tempDir("tscodex-cd-");
  const missing = await runCli(["-C", join(work, "nope")], {
    cwd: work,
    env: { HOME: work, CODEX_HOME: work },
  });
  assert.equal(missing.code, 2);
  assert.equal(
    missing.stderr,
    `Error: cannot change to directory ${join(work, "nope")}: no such file or directory (ENOENT)\n`,
  );
  // The other files exec is given by name fail in the same words.
  const env = { HOME: work, CODEX_HOME: work };
  const schema = await runCli(
    ["exec", "--skip-git-repo-check", "--output-schema", join(work, "nope.json"), "hi"],
    { cwd: work, env },
  );
  assert.equal(schema.code, 1);
  assert.match(
    schema.stderr,
    /^Error: cannot read the output schema \S+nope\.json: no such file or directory \(ENOENT\)\n/,
  );
  const image = await runCli(["exec", "--skip-git-repo-check", "--image=nope.png", "hi"], {
    cwd: work,
    env,
  });
  assert.match(
    image.stderr,
    /^Error: --image nope\.png: cannot read the file \(no such file or directory \(ENOENT\)\)\n/,
  );
});

Deno.test("tscodex resume without a session lists this folder's sessions and resumes the one picked", async () => {
  await withProvider(["first answer", "second answer", "resumed answer"], async (home, server) => {
    await mkdir(join(home, ".git"));
    const env = { HOME: home, CODEX_HOME: home };
    for (const prompt of ["the first session", "the second session"]) {
      const run = await runCli(["exec", prompt], { cwd: home, env });
      assert.equal(run.code, 0, run.stderr);
    }
    const picked = await runCli(["resume"], { cwd: home, env, stdin: "x\n2\nand more\n" });
    assert.equal(picked.code, 0, picked.stderr);
    assert.match(picked.stdout, /\[1\] the second session[^]*\[2\] the first session/);
    assert.match(picked.stdout, /No session numbered x/);
    assert.match(picked.stdout, /resumed answer/);
    const resumed = JSON.stringify(server.requests[2].body);
    assert.match(resumed, /the first session[^]*first answer[^]*and more/);
    assert.doesNotMatch(resumed, /the second session/);

    // Enter starts a new session instead.
    const fresh = await runCli(["resume"], { cwd: home, env, stdin: "\n" });
    assert.equal(fresh.code, 0, fresh.stderr);
    assert.equal(server.requests.length, 3, "nothing was sent");
  });
});
