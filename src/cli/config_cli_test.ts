// Configuration as upstream reads it, through the CLI as a user runs it: project trust for exec,
// the environment alone configuring the built-in openai provider, feature flags that change the
// tools, and the offline demo kept out of CODEX_HOME.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, realpath, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeResponsesServer, parseScenario, type ScenarioInput } from "../fake/mod.ts";
import { sandboxMissing } from "../tools/testing.ts";
import { runCli } from "./cli_testing.ts";

async function gitDir(prefix: string): Promise<string> {
  const work = await realpath(await mkdtemp(join(tmpdir(), prefix)));
  await mkdir(join(work, ".git"));
  return work;
}

async function withServer(
  scenario: ScenarioInput,
  fn: (server: FakeResponsesServer) => Promise<void>,
): Promise<void> {
  const server = new FakeResponsesServer(parseScenario(scenario));
  await server.start();
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

const provider = (baseUrl: string) =>
  `model = "m"\nmodel_provider = "local"\n[model_providers.local]\nname = "local"\n` +
  `base_url = "${baseUrl}"\n`;

const writeMarker = {
  responses: [
    {
      output: [{
        type: "function_call" as const,
        call_id: "write",
        name: "exec_command",
        arguments: { cmd: "echo made > made.txt" },
      }],
    },
    { output: [{ type: "message" as const, text: "done" }] },
  ],
};

Deno.test({
  name: "exec in a folder config.toml trusts runs in workspace-write without a flag; untrusted too",
  ignore: sandboxMissing("the trusted-project test, which needs a bubblewrap sandbox"),
  async fn() {
    for (const level of ["trusted", "untrusted"]) {
      const work = await gitDir("tscodex-trust-");
      await withServer(writeMarker, async (server) => {
        await writeFile(
          join(work, "config.toml"),
          provider(server.baseUrl) + `[projects."${work}"]\ntrust_level = "${level}"\n`,
        );
        const run = await runCli(["exec", "make it"], {
          cwd: work,
          env: { HOME: work, CODEX_HOME: work },
        });
        assert.equal(run.code, 0, run.stderr);
        assert.match(run.stderr, /approval: never/, "exec never asks, whatever the trust");
        assert.match(run.stderr, /sandbox: workspace-write/);
        assert.equal(await readFile(join(work, "made.txt"), "utf8"), "made\n", level);
      });
    }
    // Without an entry the default stays read-only: the write is refused.
    const work = await gitDir("tscodex-notrust-");
    await withServer(writeMarker, async (server) => {
      await writeFile(join(work, "config.toml"), provider(server.baseUrl));
      const run = await runCli(["exec", "make it"], {
        cwd: work,
        env: { HOME: work, CODEX_HOME: work },
      });
      assert.match(run.stderr, /sandbox: read-only/);
      assert.equal(existsSync(join(work, "made.txt")), false);
    });
  },
});

Deno.test("exec with no config.toml: CODEX_API_KEY and OPENAI_BASE_URL reach the built-in openai provider", async () => {
  const work = await gitDir("tscodex-envkey-");
  await withServer(
    { responses: [{ output: [{ type: "message", text: "hi" }] }] },
    async (server) => {
      const run = await runCli(["exec", "say hi"], {
        cwd: work,
        env: {
          HOME: work,
          CODEX_HOME: join(work, "home"),
          CODEX_API_KEY: "sk-from-codex-api-key",
          OPENAI_BASE_URL: server.baseUrl,
        },
      });
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, "hi\n");
      assert.doesNotMatch(run.stderr, /offline|demo/);
      assert.match(run.stderr, /provider: openai/);
      assert.equal(server.requests.length, 1);
      const [request] = server.requests;
      assert.equal(request.headers.authorization, "Bearer <redacted>", "a key was sent");
      assert.equal((request.body as { model: string }).model, "gpt-5.3-codex");
    },
  );
});

Deno.test("exec --disable unified_exec offers shell_command instead of exec_command and runs it", async () => {
  const work = await gitDir("tscodex-shellcmd-");
  await withServer({
    responses: [
      {
        output: [{
          type: "function_call",
          call_id: "c1",
          name: "shell_command",
          arguments: { command: "echo from-shell-command" },
        }],
      },
      { output: [{ type: "message", text: "ran" }] },
    ],
  }, async (server) => {
    await writeFile(join(work, "config.toml"), provider(server.baseUrl));
    const run = await runCli(
      ["exec", "-s", "danger-full-access", "--disable", "unified_exec", "go"],
      { cwd: work, env: { HOME: work, CODEX_HOME: work } },
    );
    assert.equal(run.code, 0, run.stderr);
    const names = (server.requests[0].body as { tools: Array<{ name?: string }> }).tools
      .map((tool) => tool.name);
    assert.ok(names.includes("shell_command"), names.join(" "));
    assert.ok(!names.includes("exec_command") && !names.includes("write_stdin"), names.join(" "));
    assert.match(JSON.stringify(server.requests[1].body), /Exit code: 0[^"]*from-shell-command/);
  });
});

Deno.test("the offline demo records its session outside CODEX_HOME, and says where", async () => {
  const work = await gitDir("tscodex-demo-home-");
  const home = join(work, "codex-home");
  await mkdir(home);
  const run = await runCli(["exec", "Show me what you can do."], {
    cwd: work,
    env: { HOME: work, CODEX_HOME: home },
  });
  assert.equal(run.code, 0, run.stderr);
  const where = /Its session is recorded in (\S+), not in (\S+)\./.exec(run.stderr);
  assert.ok(where, run.stderr);
  assert.equal(where[2], home);
  assert.deepEqual(await readdir(home), [], "nothing was written into CODEX_HOME");
  assert.ok((await readdir(join(where[1], "sessions"), { recursive: true })).length > 0);
});
