// The real upstream Codex CLI 0.115.0 resumes a session tscodex recorded. Needs the upstream binary
// (see the scratch notes); machines without it skip this test and say why.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ResponseItem } from "../protocol/mod.ts";
import { listRolloutFiles, parseRollout, rebuildSession } from "../session/mod.ts";
import { findUpstreamBinary, upstreamDir } from "../../conformance/mod.ts";
import { DEADLINE_MS, gitWorkspace, skipWhen, tempDir } from "../testing/mod.ts";
import { fakeServer, LIST_FILES, startRecordedAgent } from "./testdata/recorded_agent.ts";

// Where conformance installs it (bash .ci/run does), or $TSCODEX_UPSTREAM_CODEX.
const UPSTREAM_BIN = Deno.env.get("TSCODEX_UPSTREAM_CODEX") ??
  await findUpstreamBinary(upstreamDir("0.115.0"));
const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "fixtures", "upstream");
const missing = UPSTREAM_BIN === undefined || !existsSync(UPSTREAM_BIN)
  ? `no upstream codex 0.115.0 at ${UPSTREAM_BIN ?? upstreamDir("0.115.0")}: bash .ci/run ` +
    "installs it there (or set TSCODEX_UPSTREAM_CODEX to a codex binary)"
  : undefined;

function kinds(items: readonly ResponseItem[]): string[] {
  return items.map((item) => (item.type === "message" ? `${item.role} message` : item.type));
}

function run(bin: string, args: string[], cwd: string, env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    // A run still going at the deadline is killed, and its exit code fails the test.
    const child = spawn(bin, args, {
      cwd,
      env,
      stdio: ["ignore", "pipe", "pipe"],
      timeout: DEADLINE_MS,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

Deno.test({
  name: "upstream 0.115.0 resumes a tscodex session and replays the kinds it replays for its own",
  ignore: skipWhen("the upstream resume test", missing),
  fn: async () => {
    const home = await tempDir("rollout-upstream-home-");
    const cwd = await gitWorkspace("rollout-upstream-cwd-");
    const ours = await fakeServer(LIST_FILES);
    const theirs = await fakeServer({
      responses: [{ output: [{ type: "message", text: "Continuing." }] }],
    });
    try {
      const recorded = await startRecordedAgent({ codexHome: home, cwd, baseUrl: ours.baseUrl });
      await recorded.agent.runTurn(["List files"]);
      recorded.close();
      const ourOutput = recorded.agent.history.find((i) => i.type === "function_call_output");

      await writeFile(
        join(home, "config.toml"),
        `model = "gpt-5.1-codex"\nmodel_provider = "fake"\n\n[model_providers.fake]\n` +
          `name = "fake"\nbase_url = "${theirs.baseUrl}"\nwire_api = "responses"\n` +
          `env_key = "FAKE_API_KEY"\n`,
      );
      const result = await run(UPSTREAM_BIN!, ["exec", "resume", "--last", "continue"], cwd, {
        PATH: "/usr/local/bin:/usr/bin:/bin",
        HOME: await tempDir("rollout-upstream-user-"),
        CODEX_HOME: home,
        FAKE_API_KEY: "sk-test-secret",
        TZ: "UTC",
        LANG: "C.UTF-8",
        TERM: "xterm",
        SHELL: "/bin/bash",
      });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, "Continuing.\n");

      assert.equal(theirs.requests.length, 1);
      const body = theirs.requests[0].body as { input: ResponseItem[]; instructions: string };
      const ownResume = JSON.parse(
        await readFile(
          join(FIXTURES, "0.115.0", "resume", "run-2", "requests", "001.json"),
          "utf8",
        ),
      ).body.input;
      assert.deepEqual(kinds(body.input), kinds(ownResume));
      assert.deepEqual(body.input.slice(0, -1), recorded.agent.history);
      assert.deepEqual(body.input[4], ourOutput);
      assert.equal(body.instructions, "test instructions", "base instructions from session_meta");

      // Upstream appended its turn to our file, and we read it back.
      const files = await listRolloutFiles(home);
      assert.deepEqual(files.map((f) => f.path), [recorded.path]);
      const parsed = parseRollout(await readFile(recorded.path, "utf8"));
      assert.equal(parsed.invalid, 0);
      const rebuilt = rebuildSession(parsed.entries);
      assert.deepEqual(rebuilt.userMessages, ["List files", "continue"]);
      assert.deepEqual(kinds(rebuilt.history.slice(-2)), ["user message", "assistant message"]);
    } finally {
      await ours.close();
      await theirs.close();
    }
  },
});
