// The harness end to end with a stand-in CLI (testdata/fake_agent.ts): real subprocesses, a real
// fake server, real git and temp dirs.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { within } from "../src/testing/mod.ts";
import { readFixture, writeFixture } from "./fixtures.ts";
import { normaliseRecording } from "./normalise.ts";
import { fixtureDir, runConformance } from "./runner.ts";
import { endLeftovers, runScenario, type Subject, WORKDIR_NAME } from "./scenario_run.ts";
import {
  type ConformanceScenario,
  parseConformanceScenario,
  scenarioDigest,
} from "./conformance_scenario.ts";

const HERE = dirname(fileURLToPath(import.meta.url));
const DENO = join(HERE, "..", "node_modules", ".bin", "deno");

function agent(variant = "a"): Subject {
  return {
    name: `fake agent ${variant}`,
    command: [DENO, "run", "-A", "--quiet", join(HERE, "testdata", "fake_agent.ts")],
    env: {
      DENO_DIR: process.env.DENO_DIR ?? join(homedir(), ".cache", "deno"),
      DENO_NO_UPDATE_CHECK: "1",
      FAKE_AGENT_VARIANT: variant,
    },
  };
}

const SCENARIO = {
  name: "agent",
  description: "one request, a rollout, a file",
  config: { custom_key: "v", model_providers: { fake: { stream_max_retries: 1 } } },
  files: { "README.md": "# demo\n", "sub/notes.txt": "n\n" },
  runs: [{ argv: ["exec", "hello"] }],
  responses: [{ output: [{ type: "message", text: "Hi!" }] }],
};

function scenario(extra: Record<string, unknown> = {}): ConformanceScenario {
  return parseConformanceScenario({ ...SCENARIO, ...extra }, "<inline>");
}

Deno.test("sandbox: fixed environment, merged config, git work dir, everything collected", async () => {
  const workRoot = await mkdtemp(join(tmpdir(), "tscodex-sandbox-"));
  const raw = await runScenario(scenario(), agent(), { workRoot, keep: true });
  assert.equal(raw.roots.cwd, join(raw.roots.root, WORKDIR_NAME));
  const [run] = raw.runs;
  assert.equal(run.exit_code, 0, run.stderr);
  assert.equal(run.stdout, "Hi!\n");
  assert.equal(run.requests.length, 1);
  assert.equal(
    run.requests[0].headers.session_id,
    (run.requests[0].body as { prompt_cache_key: string }).prompt_cache_key,
  );
  assert.deepEqual(raw.files, {
    "README.md": "# demo\n",
    "out.txt": "hello (UTC, C.UTF-8)\n",
    "sub/notes.txt": "n\n",
  });
  assert.equal(raw.rollouts.length, 1);
  assert.match(raw.rollouts[0].name, /^sessions\/\d{4}\/\d{2}\/\d{2}\/rollout-.*\.jsonl$/);

  const config = await readFile(join(raw.roots.codexHome, "config.toml"), "utf8");
  assert.match(config, /model_provider = "fake"/);
  assert.match(config, /custom_key = "v"/);
  assert.match(config, /base_url = "http:\/\/127\.0\.0\.1:\d+\/v1"/);
  assert.match(config, /env_key = "FAKE_API_KEY"/);
  assert.match(config, /stream_max_retries = 1/);
  // The fixed git identity and dates give the same commit on every run and machine.
  const again = await runScenario(scenario(), agent(), { workRoot, keep: true });
  const head = (root: string) =>
    readFile(join(root, WORKDIR_NAME, ".git", "refs", "heads", "main"), "utf8");
  assert.equal(await head(raw.roots.root), await head(again.roots.root));
  await rm(workRoot, { recursive: true, force: true });
});

Deno.test("a run that outlives its timeout is killed and says so", async () => {
  const workRoot = await mkdtemp(join(tmpdir(), "tscodex-sandbox-"));
  const raw = await runScenario(
    scenario({ runs: [{ argv: ["5"], timeout_ms: 200 }], git: false }),
    { name: "sleep", command: ["sleep"] },
    { workRoot },
  );
  assert.equal(raw.runs[0].exit_code, null);
  assert.match(raw.runs[0].stderr, /killed after 200 ms/);
});

Deno.test("endLeftovers ends what runs a program from the run's folder, and nothing else", async () => {
  const base = await mkdtemp(join(tmpdir(), "tscodex-leftovers-"));
  const start = async (folder: string) => {
    const program = join(base, folder, "sleep");
    await mkdir(dirname(program), { recursive: true });
    await copyFile("/bin/sleep", program);
    await chmod(program, 0o755);
    // Detached, as upstream's daemon is: a session of its own that outlives its parent.
    const child = spawn(program, ["30"], { detached: true, stdio: "ignore" });
    await new Promise((resolve) => child.once("spawn", resolve));
    const ended = new Promise<string | null>((resolve) => child.once("exit", (_, s) => resolve(s)));
    return { pid: child.pid!, ended };
  };
  const inRun = await start("run/codex-home/bin");
  const outside = await start("other");
  try {
    assert.deepEqual(await endLeftovers(join(base, "run")), [inRun.pid]);
    assert.equal(await within(inRun.ended, "the leftover program to end"), "SIGKILL");
    assert.doesNotThrow(() => process.kill(outside.pid, 0), "a program elsewhere keeps running");
    assert.deepEqual(await endLeftovers(join(base, "run")), [], "nothing is left the second time");
  } finally {
    process.kill(outside.pid, "SIGKILL");
    await within(outside.ended, "the other program to end");
    await rm(base, { recursive: true, force: true });
  }
});

Deno.test("runner: the same behaviour passes, a different one shows where it differs", async () => {
  const root = await mkdtemp(join(tmpdir(), "tscodex-runner-"));
  const scenariosDir = join(root, "scenarios");
  const fixturesDir = join(root, "fixtures");
  const workRoot = join(root, "runs");
  await mkdir(scenariosDir);
  await writeFile(join(scenariosDir, "agent.json"), JSON.stringify(SCENARIO));

  const recording = normaliseRecording(await runScenario(scenario(), agent(), { workRoot }));
  const dir = fixtureDir(fixturesDir, "9.9.9", "agent");
  await writeFixture(dir, recording, {
    scenario_digest: scenarioDigest(scenario()),
    recorded_with: { program: "fake agent", version: "9.9.9" },
  });
  assert.deepEqual((await readFixture(dir)).recording, recording, "fixtures round-trip");

  const options = { scenariosDir, fixturesDir, workRoot, upstream: "9.9.9" };
  const same = await runConformance({ ...options, subject: agent() });
  assert.deepEqual(same.results[0].differences, [], "random ids, clocks and paths normalise away");
  assert.equal(same.results[0].error, undefined);

  const other = await runConformance({ ...options, subject: agent("b") });
  const fields = other.results[0].differences.map((d) => `${d.category} ${d.field}`);
  assert.deepEqual(fields, [
    "tools run1.shell.parameters.properties.cmd.type",
    "headers run1.names",
  ]);

  const failing = await runConformance({ ...options, subject: agent("fail") });
  assert.deepEqual(failing.results[0].differences.find((d) => d.category === "exit"), {
    category: "exit",
    field: "run1",
    expected: 0,
    actual: 3,
  });

  await writeFile(
    join(scenariosDir, "agent.json"),
    JSON.stringify({ ...SCENARIO, description: "edited" }),
  );
  const stale = await runConformance({ ...options, subject: agent() });
  assert.match(stale.results[0].error ?? "", /changed since it was recorded/);
  const missing = await runConformance({ ...options, upstream: "0.0.1", subject: agent() });
  assert.match(missing.results[0].error ?? "", /no fixture for upstream 0\.0\.1/);
  await rm(root, { recursive: true, force: true });
});
