// Errors as a user meets them: what upstream prints where it prints something, our hint after it,
// a warning (not a failure) for an unwritable -o file, and never a stack trace.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, realpath, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ScenarioInput } from "../fake/mod.ts";
import { runCli, withScriptedProvider } from "./cli_testing.ts";

/** A git work dir that is also CODEX_HOME, its provider a scripted fake server, no retries. */
function withServer(
  scenario: ScenarioInput,
  fn: (t: { work: string; env: Record<string, string>; url: string }) => Promise<void>,
): Promise<void> {
  return withScriptedProvider(
    scenario,
    ({ work, env, server }) => fn({ work, env, url: `${server.baseUrl}/responses` }),
    { head: 'model = "m1"\n', provider: "request_max_retries = 0\nstream_max_retries = 0\n" },
  );
}

Deno.test("-o into a folder that does not exist: a warning naming the file, the answer still printed, exit 0", async () => {
  const answer = { output: [{ type: "message" as const, text: "the answer" }] };
  await withServer({ responses: [answer, answer] }, async ({ work, env }) => {
    const plain = await runCli(["exec", "-o", "missing/dir/last.txt", "hi"], { cwd: work, env });
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(plain.stdout, "the answer\n");
    assert.match(
      plain.stderr,
      /^Failed to write last message file "missing\/dir\/last\.txt": no such file or directory \(ENOENT\)$/m,
    );
    const json = await runCli(["exec", "--json", "-o", "missing/dir/last.txt", "hi"], {
      cwd: work,
      env,
    });
    assert.equal(json.code, 0, json.stderr);
    assert.equal(JSON.parse(json.stdout.trim().split("\n").at(-1)!).type, "turn.completed");
    assert.match(json.stderr, /Failed to write last message file "missing\/dir\/last\.txt"/);
    assert.equal(existsSync(join(work, "missing")), false);
  });
});

Deno.test("a failed turn's first line is ERROR: and what the provider said, as upstream's; our hint follows", async () => {
  const body = { error: { type: "invalid_request_error", message: "Unsupported parameter." } };
  const cases: Array<
    { response: ScenarioInput["responses"][number]; first: RegExp; hint: RegExp }
  > = [
    {
      response: { fault: { kind: "http_status", status: 400, body } },
      first: /^\{"error":\{"type":"invalid_request_error","message":"Unsupported parameter\."\}\}$/,
      hint: /^provider "local" \(POST URL\) answered HTTP 400 Bad Request: the provider rejected/,
    },
    {
      response: {
        fault: { kind: "http_status", status: 401, body: { error: { message: "Bad key" } } },
      },
      first: /^unexpected status 401 Unauthorized: Bad key, url: URL$/,
      hint:
        /^provider "local" \(POST URL\) answered HTTP 401 Unauthorized: the provider wants credentials; set env_key/,
    },
    {
      response: { status: "failed", error: { code: "invalid_prompt", message: "Refused." } },
      first: /^Refused\.$/,
      hint:
        /^provider "local" \(POST URL\) failed the response \(invalid_prompt\); the prompt was rejected; rephrase it$/,
    },
    {
      response: {
        output: [{ type: "message", text: "x" }],
        fault: { kind: "cut", after_events: 1 },
      },
      first: /^stream disconnected before completion: the stream ended before response\.completed$/,
      hint: /^provider "local" \(POST URL\): the provider ended the stream early; try again$/,
    },
  ];
  await withServer({ responses: cases.map((c) => c.response) }, async ({ work, env, url }) => {
    const withUrl = (pattern: RegExp) =>
      new RegExp(pattern.source.replaceAll("URL", url.replace(/[./]/g, "\\$&")));
    for (const [i, { first, hint }] of cases.entries()) {
      const run = await runCli(["exec", `case ${i}`], { cwd: work, env });
      assert.equal(run.code, 1, run.stderr);
      const lines = run.stderr.split("\n");
      const at = lines.findIndex((line) => line.startsWith("ERROR: "));
      assert.ok(at >= 0, run.stderr);
      assert.match(lines[at].slice("ERROR: ".length), withUrl(first));
      assert.match(lines[at + 1], withUrl(hint));
    }
  });
  // --json: turn.failed carries the provider's words; the error notice before it, the hint too.
  await withServer({ responses: [cases[2].response] }, async ({ work, env }) => {
    const run = await runCli(["exec", "--json", "hi"], { cwd: work, env });
    const events = run.stdout.trim().split("\n").map((line) => JSON.parse(line));
    assert.deepEqual(events.at(-1), { type: "turn.failed", error: { message: "Refused." } });
    assert.match(events.at(-2).message, /^Refused\. — provider "local" .*rephrase it$/);
  });
});

Deno.test("bad input never ends in a stack trace: each error names the file or flag and a fix", async () => {
  const dir = await realpath(await mkdtemp(join(tmpdir(), "tscodex-bad-input-")));
  await mkdir(join(dir, ".git"));
  const file = join(dir, "a-file");
  await writeFile(file, "x");
  const homeWithDirs = join(dir, "home");
  await mkdir(join(homeWithDirs, "config.toml"), { recursive: true });
  const cases: Array<
    { args: string[]; env?: Record<string, string>; code: number; error: RegExp }
  > = [
    {
      args: ["exec", "hi"],
      env: { CODEX_HOME: file },
      code: 1,
      error:
        /^Error: CODEX_HOME points to \S+\/a-file, which is not a folder; point CODEX_HOME at a folder/,
    },
    {
      args: ["exec", "hi"],
      env: { CODEX_HOME: homeWithDirs },
      code: 1,
      error:
        /^Error: cannot read \S+\/home\/config\.toml: it is a folder \(EISDIR\); fix it or remove it$/m,
    },
    {
      args: ["fake-server", "--scenario", join(dir, "missing", "s.json")],
      code: 1,
      error:
        /^Error: cannot read the scenario \S+\/missing\/s\.json: no such file or directory \(ENOENT\); give the path of a scenario JSON file$/m,
    },
    {
      args: ["fake-server", "--scenario", dir],
      code: 1,
      error: /^Error: cannot read the scenario \S+: it is a folder \(EISDIR\)/,
    },
    {
      args: ["fake-server", "--host", "no-such-host.invalid", "--allow-remote"],
      code: 2,
      error:
        /^Error: --host no-such-host\.invalid: the host name no-such-host\.invalid does not resolve/,
    },
    {
      args: ["fake-server", "--record", join(file, "sub")],
      code: 1,
      error:
        /^Error: cannot create the --record folder \S+\/a-file\/sub: a part of the path is not a folder \(ENOTDIR\)/,
    },
  ];
  try {
    for (const { args, env, code, error } of cases) {
      const run = await runCli(args, { cwd: dir, env: { HOME: dir, CODEX_HOME: dir, ...env } });
      assert.equal(run.code, code, `${args.join(" ")}: ${run.stderr}`);
      assert.match(run.stderr, error, `${args.join(" ")}: ${run.stderr}`);
      assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
