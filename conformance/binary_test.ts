// The compiled binary, copied alone into an empty folder, carries what it replays: it diffs itself
// against the built-in upstream fixtures and grades a `tscodex serve` it started as a provider.
// The binary is built for the test (scripts/build.ts --out), or taken from $TSCODEX_BINARY.
import assert from "node:assert/strict";
import { copyFile, mkdir, mkdtemp } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { runProcess } from "./scenario_run.ts";
import { ModelBackend } from "./testdata/model_backend.ts";
import { startServer } from "./testdata/server_process.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

async function binary(): Promise<string> {
  if (process.env.TSCODEX_BINARY) return process.env.TSCODEX_BINARY;
  const out = join(await mkdtemp(join(tmpdir(), "tscodex-build-")), "tscodex");
  const build = await runProcess(
    [
      join(ROOT, "node_modules", ".bin", "deno"),
      "run",
      "-A",
      join(ROOT, "scripts", "build.ts"),
      "--out",
      out,
    ],
    {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: homedir() },
      timeoutMs: 600_000,
    },
  );
  assert.equal(build.code, 0, `the build failed:\n${build.stderr}`);
  return out;
}

Deno.test("binary: alone in an empty folder, it runs conformance --scenario plain and grades tscodex serve", async () => {
  const folder = await mkdtemp(join(tmpdir(), "tscodex-alone-"));
  const tscodex = join(folder, "tscodex");
  await copyFile(await binary(), tscodex);
  const home = join(folder, "home");
  await mkdir(home);
  const env = {
    PATH: "/usr/bin:/bin",
    HOME: home,
    TSCODEX_CACHE: join(home, "cache"),
  };

  const diff = await runProcess([tscodex, "conformance", "--scenario", "plain"], {
    cwd: folder,
    env,
    timeoutMs: 180_000,
  });
  assert.equal(diff.code, 0, diff.stdout + diff.stderr);
  assert.match(diff.stdout, /1 of 1 scenarios match/);
  assert.match(diff.stdout, /\| plain \| ✓ \|/);

  const newest = await runProcess(
    [tscodex, "conformance", "--upstream", "0.171.0", "--scenario", "plain", "--report", "json"],
    { cwd: folder, env, timeoutMs: 180_000 },
  );
  assert.equal(JSON.parse(newest.stdout).upstream, "0.171.0", newest.stderr);

  const backend = await new ModelBackend("chat").start();
  const serve = await startServer(
    [tscodex, "serve", "--downstream", backend.url, "--listen", "127.0.0.1:0"],
    { cwd: folder, env },
  );
  try {
    assert.match(serve.line, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const graded = await runProcess(
      [
        tscodex,
        "conformance",
        "provider",
        "--base-url",
        serve.line,
        "--report",
        "json",
        "--parallel",
        "4",
      ],
      { cwd: folder, env, timeoutMs: 300_000 },
    );
    const report = JSON.parse(graded.stdout);
    assert.equal(report.target.upstream, "0.115.0");
    const codex = report.results.filter((r: { source: string }) => r.source === "codex");
    assert.ok(codex.length >= 90, `${codex.length} recorded requests replayed`);
    assert.ok(report.results.some((r: { id: string }) => r.id === "spec/compact"));
    const failed = report.results.filter((r: { passed: boolean }) => !r.passed);
    assert.deepEqual(failed, [], "tscodex serve passes every check");
    assert.equal(graded.code, 0, graded.stderr);
    assert.ok(backend.bodies.length >= codex.length, "the requests went through to the backend");
  } finally {
    await serve.stop();
    await backend.close();
  }
});
