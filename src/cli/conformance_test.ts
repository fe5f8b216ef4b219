// `tscodex conformance` as a user runs it: a real subprocess against real fixtures and servers.
import assert from "node:assert/strict";
import { chmod, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import {
  type Exit,
  fixtureDir,
  normaliseRecording,
  parseConformanceScenario,
  runProcess,
  runScenario,
  scenarioDigest,
  writeFixture,
} from "../../conformance/mod.ts";
import { ModelBackend, ReferenceProvider } from "../../conformance/testing.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const DENO = join(ROOT, "node_modules", ".bin", "deno");
const DENO_DIR = process.env.DENO_DIR ?? join(homedir(), ".cache", "deno");

function tscodex(args: string[]): Promise<Exit> {
  return runProcess([DENO, "run", "-A", join(ROOT, "main.ts"), "conformance", ...args], {
    cwd: tmpdir(),
    env: {
      PATH: "/usr/bin:/bin",
      HOME: homedir(),
      DENO_DIR,
      TSCODEX_CACHE: join(tmpdir(), "tscodex-cache"),
    },
    timeoutMs: 120_000,
  });
}

const SCENARIO = {
  name: "agent",
  description: "the stand-in agent's one request",
  runs: [{ argv: ["exec", "hello"] }],
  responses: [{ output: [{ type: "message", text: "Hi!" }] }],
};

/** A scenario folder and fixtures recorded from the stand-in agent, plus a script that runs it. */
async function setUp(): Promise<{ root: string; agent: (variant: string) => Promise<string> }> {
  const root = await mkdtemp(join(tmpdir(), "tscodex-conformance-cli-"));
  await mkdir(join(root, "scenarios"));
  await writeFile(join(root, "scenarios", "agent.json"), JSON.stringify(SCENARIO));
  const agent = async (variant: string) => {
    const script = join(root, `agent-${variant}.sh`);
    const fake = join(ROOT, "conformance", "testdata", "fake_agent.ts");
    await writeFile(
      script,
      `#!/bin/sh\nDENO_DIR='${DENO_DIR}' FAKE_AGENT_VARIANT=${variant} exec '${DENO}' run -A --quiet '${fake}' "$@"\n`,
    );
    await chmod(script, 0o755);
    return script;
  };
  const scenario = parseConformanceScenario(SCENARIO, "<inline>");
  const raw = await runScenario(scenario, { name: "agent", command: [await agent("a")] }, {
    workRoot: join(root, "runs"),
  });
  await writeFixture(
    fixtureDir(join(root, "fixtures"), "1.0.0", "agent"),
    normaliseRecording(raw),
    {
      scenario_digest: scenarioDigest(scenario),
      recorded_with: { program: "agent", version: "1.0.0" },
    },
  );
  return { root, agent };
}

Deno.test("conformance: exit 0 and a table when the binary matches, 1 and the differences when not", async () => {
  const { root, agent } = await setUp();
  const common = [
    "--upstream",
    "1.0.0",
    "--fixtures",
    join(root, "fixtures"),
    "--scenarios",
    join(root, "scenarios"),
  ];
  const same = await tscodex([...common, "--binary", await agent("a")]);
  assert.equal(same.code, 0, same.stderr);
  assert.match(same.stdout, /1 of 1 scenarios match/);
  assert.match(same.stdout, /\| agent \| ✓ \|/);

  const other = await tscodex([...common, "--binary", await agent("b"), "--report", "json"]);
  assert.equal(other.code, 1, other.stderr);
  const report = JSON.parse(other.stdout);
  assert.equal(report.summary.passed, 0);
  assert.deepEqual(
    report.results[0].differences.map((d: { field: string }) => d.field),
    ["run1.shell.parameters.properties.cmd.type", "run1.names"],
  );
});

/** `conformance provider` against `url` with the stand-in agent's fixtures. */
const providerArgs = (root: string, url: string) => [
  "provider",
  "--upstream",
  "1.0.0",
  "--fixtures",
  join(root, "fixtures"),
  "--base-url",
  url,
];

Deno.test("conformance provider: a JSON report (schema 1) and an HTML page, exit 0 when all pass", async () => {
  const { root } = await setUp();
  const provider = await new ReferenceProvider().start();
  try {
    const args = ["provider", "--upstream", "1.0.0", "--fixtures", join(root, "fixtures")];
    const json = await tscodex([
      ...args,
      "--base-url",
      provider.baseUrl,
      "--report",
      "json",
      "--parallel",
      "3",
    ]);
    assert.equal(json.code, 0, json.stderr);
    const report = JSON.parse(json.stdout);
    assert.equal(report.schema, "tscodex.provider-report/1");
    assert.deepEqual(report.target, {
      base_url: provider.baseUrl,
      api: "responses",
      model: null,
      upstream: "1.0.0",
    });
    assert.equal(report.summary.failed, 0);
    assert.equal(report.results[0].id, "codex/agent/run-1/001");
    assert.ok(report.results.some((r: { id: string }) => r.id === "spec/compact"));
    assert.match(
      json.stderr,
      /\[ ?1\/\d+\] codex\/agent\/run-1\/001 ✓/,
      "a progress line per request",
    );

    const page = join(root, "report.html");
    const html = await tscodex([
      ...args,
      "--base-url",
      provider.baseUrl,
      "--report",
      "html",
      "--out",
      page,
    ]);
    assert.equal(html.code, 0, html.stderr);
    assert.match(await readFile(page, "utf8"), /^<!doctype html>[\s\S]*Provider report card/);

    // The old spelling still works.
    const old = await tscodex([
      "--upstream",
      "1.0.0",
      "--fixtures",
      join(root, "fixtures"),
      "--grade-provider",
      provider.baseUrl,
    ]);
    assert.equal(old.code, 0, old.stderr);
    assert.match(old.stdout, /requests pass every check/);
  } finally {
    await provider.close();
  }
});

Deno.test("conformance provider: a failing check exits 1 and names the rule broken", async () => {
  const { root } = await setUp();
  const provider = await new ReferenceProvider({
    defect: (answer) => ({
      ...answer,
      events: answer.events?.map((e) => ({ ...(e as object), sequence_number: undefined })),
    }),
  }).start();
  try {
    const run = await tscodex(providerArgs(root, provider.baseUrl));
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stdout, /\| sequence-numbers \| 0 \| \d+ \|/);
  } finally {
    await provider.close();
  }
});

Deno.test("conformance provider --api chat grades serve started in front of the backend", async () => {
  const { root } = await setUp();
  const backend = await new ModelBackend("chat").start();
  try {
    const run = await tscodex([
      ...providerArgs(root, backend.url),
      "--api",
      "chat",
      "--chat-profile",
      "vllm",
      "--report",
      "json",
    ]);
    const report = JSON.parse(run.stdout);
    assert.equal(report.target.api, "chat");
    assert.equal(report.target.base_url, backend.url);
    assert.match(
      run.stderr,
      /tscodex serve on http:\/\/127\.0\.0\.1:\d+\/v1 in front of the chat backend/,
    );
    assert.ok(backend.bodies.length > 0, "the requests reached the backend");
    assert.equal(report.summary.failed, 0, JSON.stringify(report.results, null, 1));
    assert.equal(run.code, 0, run.stderr);
  } finally {
    await backend.close();
  }
});

/** One line on stderr saying what went wrong, no stack trace. */
function assertOneLineError(run: Exit, pattern: RegExp): void {
  const lines = run.stderr.trim().split("\n");
  assert.equal(lines.length, 1, run.stderr);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(run.stderr, /\bat .*:\d+:\d+/, "no stack trace");
}

Deno.test("conformance failures are one clear line and a non-zero exit", async () => {
  const { root } = await setUp();
  const fixtures = join(root, "fixtures");
  const gone = await tscodex([
    "provider",
    "--base-url",
    "http://127.0.0.1:9/v1",
    "--fixtures",
    fixtures,
    "--upstream",
    "1.0.0",
  ]);
  assert.equal(gone.code, 2);
  assertOneLineError(
    gone,
    /^Error: --base-url http:\/\/127\.0\.0\.1:9\/v1: nothing answers there .*is the provider running\?$/,
  );

  const none = await tscodex([
    "provider",
    "--base-url",
    "http://127.0.0.1:9/v1",
    "--fixtures",
    join(root, "nowhere"),
  ]);
  assert.equal(none.code, 2);
  assertOneLineError(none, /^Error: no fixtures in .*nowhere: .*pass --fixtures DIR$/);

  const version = await tscodex(["--fixtures", fixtures, "--upstream", "9.9.9"]);
  assert.equal(version.code, 2);
  assertOneLineError(
    version,
    /^Error: --upstream 9\.9\.9: no fixtures for that release in .* \(have: 1\.0\.0\)$/,
  );

  const scenario = await tscodex([
    "--fixtures",
    fixtures,
    "--scenarios",
    join(root, "scenarios"),
    "--upstream",
    "1.0.0",
    "--scenario",
    "nope",
  ]);
  assert.equal(scenario.code, 2);
  assertOneLineError(scenario, /^Error: .*no scenario named nope \(have: agent\)$/);

  const flag = await tscodex(["provider", "--base-url", "http://x", "--report", "xml"]);
  assert.equal(flag.code, 2);
  assert.doesNotMatch(flag.stderr, /\bat .*:\d+:\d+/);
  assert.match(flag.stderr, /--report/);
});

Deno.test("conformance usage errors exit 2", async () => {
  for (
    const args of [["--report", "xml"], ["--grade-provider", "not a url"], [
      "--grade-provider",
      "http://x",
      "--api-key-env",
      "TSCODEX_UNSET_VAR",
    ], ["provider", "--base-url", "http://x", "--parallel", "0"]]
  ) {
    const run = await tscodex(args);
    assert.equal(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
  }
});
