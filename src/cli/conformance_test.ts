// `tscodex conformance` as a user runs it: a real subprocess against real fixtures and servers.
import assert from "node:assert/strict";
import { chmod, mkdir, mkdtemp, writeFile } from "node:fs/promises";
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
import { FakeResponsesServer, parseScenario } from "../fake/mod.ts";

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

Deno.test("conformance --grade-provider grades our fake server from the recorded bodies", async () => {
  const { root } = await setUp();
  const server = new FakeResponsesServer(parseScenario({
    responses: [{ output: [{ type: "message", text: "ok" }] }],
    after_last: "repeat_last",
  }));
  await server.start();
  try {
    const args = ["--upstream", "1.0.0", "--fixtures", join(root, "fixtures"), "--grade-provider"];
    const good = await tscodex([...args, server.baseUrl]);
    assert.equal(good.code, 0, good.stderr);
    assert.match(good.stdout, /1 of 1 replayed requests/);
    const gone = await tscodex([...args, "http://127.0.0.1:9/v1"]);
    assert.equal(gone.code, 1);
    assert.match(gone.stdout, /no answer/);
    // The same, spelled as the `provider` subcommand.
    const spelled = await tscodex([
      "provider",
      "--upstream",
      "1.0.0",
      "--fixtures",
      join(root, "fixtures"),
      "--base-url",
      server.baseUrl,
    ]);
    assert.equal(spelled.code, 0, spelled.stderr);
    assert.match(spelled.stdout, /1 of 1 replayed requests/);
  } finally {
    await server.close();
  }
});

Deno.test("conformance usage errors exit 2", async () => {
  for (
    const args of [["--report", "xml"], ["--grade-provider", "not a url"], [
      "--grade-provider",
      "http://x",
      "--api-key-env",
      "TSCODEX_UNSET_VAR",
    ]]
  ) {
    const run = await tscodex(args);
    assert.equal(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
  }
});
