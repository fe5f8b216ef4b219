// Records upstream Codex CLI runs of every conformance scenario into fixtures/upstream/<version>/.
// Usage: deno task record [--version 0.115.0]... [--scenario NAME]... [--out DIR] [--keep]
// Installs each pinned @openai/codex with npm into the cache (~/.cache/tscodex/upstream/<version>)
// on first use; the fake server runs in this process and is the only provider upstream talks to.
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  cacheRoot,
  CODEX_TUI,
  type ConformanceScenario,
  fixtureDir,
  installUpstream,
  loadScenarios,
  normaliseRecording,
  RECORDED_UPSTREAMS,
  type Recording,
  runScenario,
  scenarioDigest,
  writeFixture,
} from "../conformance/mod.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    version: { type: "string", multiple: true },
    scenario: { type: "string", multiple: true },
    out: { type: "string", default: join(root, "fixtures") },
    keep: { type: "boolean", default: false },
  },
});

const versions = values.version?.length ? values.version : RECORDED_UPSTREAMS;
const scenariosDir = join(root, "conformance", "scenarios");
const scenarios = await loadScenarios(scenariosDir, values.scenario);
const log = (line: string) => console.error(line);

/**
 * Upstream gathers the git facts of `x-codex-turn-metadata` under a short time limit and leaves
 * `workspaces` out when they come late, which happens on a busy machine. A fixture should hold
 * what upstream sends when it is not starved, so such a recording is made again.
 */
function lateGitFacts(
  version: string,
  scenario: ConformanceScenario,
  recording: Recording,
): boolean {
  // Outside git upstream sends no workspace facts at all; nor does 0.115 in an ephemeral
  // session (0.169 does).
  const ephemeral = scenario.runs.some((run) => run.argv?.includes("--ephemeral"));
  if (!scenario.git || (ephemeral && version.startsWith("0.115."))) return false;
  return recording.runs.some((run) =>
    run.requests.some((request) => {
      const metadata = request.headers["x-codex-turn-metadata"] ?? '"workspaces"';
      return !isTitleRequest(metadata) && !/"workspaces"/.test(metadata);
    })
  );
}

/**
 * 0.169's TUI asks for a thread title in a side thread of its own, whose turn metadata never has
 * workspace facts: such a request says nothing about the turn's git facts coming late.
 */
function isTitleRequest(metadata: string): boolean {
  try {
    return (JSON.parse(metadata) as { thread_source?: unknown })?.thread_source === "thread_title";
  } catch {
    return false;
  }
}

const ATTEMPTS = 4;

async function record(binary: string, version: string, scenario: ConformanceScenario) {
  for (let attempt = 1;; attempt++) {
    const raw = await runScenario(
      scenario,
      { name: `codex ${version}`, command: [binary], tty: CODEX_TUI },
      { workRoot: join(cacheRoot(), "runs"), scenariosDir, keep: values.keep, log },
    );
    const recording = normaliseRecording(raw);
    if (!lateGitFacts(version, scenario, recording)) return recording;
    if (attempt === ATTEMPTS) {
      throw new Error(`${scenario.name}: git facts missing from every one of ${ATTEMPTS} attempts`);
    }
    log(`  git facts came late (attempt ${attempt}); recording again`);
  }
}

for (const version of versions) {
  const binary = await installUpstream(version, log);
  log(`upstream ${version}: ${binary}`);
  for (const scenario of scenarios) {
    const started = performance.now();
    log(`${version} ${scenario.name}`);
    const recording = await record(binary, version, scenario);
    await writeFixture(fixtureDir(values.out, version, scenario.name), recording, {
      scenario_digest: scenarioDigest(scenario),
      recorded_with: { program: "@openai/codex", version },
    });
    const requests = recording.runs.map((r) => r.requests.length).join("+");
    const exits = recording.runs.map((r) => r.exit_code).join(",");
    log(
      `  exit ${exits}, ${requests} request(s), ${recording.rollouts.length} rollout(s), ` +
        `${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  }
}
