// The conformance run: every scenario through the subject (tscodex), normalised like the upstream
// fixture it is compared with, then diffed field by field.
import { join } from "node:path";
import { canonicalise, CATEGORIES } from "./canonical.ts";
import { diffViews } from "./diff.ts";
import { pathExists, realFolder } from "./files.ts";
import { readFixture, writeFixture } from "./fixtures.ts";
import { normaliseRecording } from "./normalise.ts";
import type { Recording } from "./recording.ts";
import type { Report, ScenarioResult } from "./report.ts";
import { runScenario, type Subject } from "./scenario_run.ts";
import { type ConformanceScenario, loadScenarios, scenarioDigest } from "./conformance_scenario.ts";

/** The release tscodex targets; others are recorded to track the distance to newer ones. */
export const PRIMARY_UPSTREAM = "0.115.0";
export const RECORDED_UPSTREAMS = ["0.115.0", "0.169.0", "0.171.0"];
/** The newest recorded release, which `--upstream` may name instead of the primary one. */
export const NEWEST_UPSTREAM = "0.171.0";

export function fixtureDir(fixturesDir: string, version: string, scenario: string): string {
  return join(fixturesDir, "upstream", version, scenario);
}

/** Compares a normalised run with the upstream recording of the same scenario. */
export function compareRecordings(expected: Recording, actual: Recording): ScenarioResult {
  const want = canonicalise(expected);
  return {
    scenario: expected.scenario,
    compared: CATEGORIES.filter((c) => Object.keys(want[c]).length > 0),
    differences: diffViews(want, canonicalise(actual)),
  };
}

export interface ConformanceOptions {
  scenariosDir: string;
  fixturesDir: string;
  upstream: string;
  subject: Subject;
  /** Parent of the per-run folders (fresh CODEX_HOME, HOME and work dir each). */
  workRoot: string;
  only?: string[];
  /** Also write each normalised run of the subject here, laid out like the fixtures. */
  saveDir?: string;
  keep?: boolean;
  log?: (line: string) => void;
}

async function compareOne(
  scenario: ConformanceScenario,
  options: ConformanceOptions,
): Promise<ScenarioResult> {
  const dir = fixtureDir(options.fixturesDir, options.upstream, scenario.name);
  const failed = (error: string): ScenarioResult => ({
    scenario: scenario.name,
    error,
    compared: [],
    differences: [],
  });
  if (!(await pathExists(dir))) {
    return failed(`no fixture for upstream ${options.upstream} (record it: deno task record)`);
  }
  const { meta, recording: expected } = await readFixture(dir);
  if (meta.scenario_digest !== scenarioDigest(scenario)) {
    return failed("the scenario changed since it was recorded (re-record: deno task record)");
  }
  let actual: Recording;
  try {
    actual = normaliseRecording(
      await runScenario(scenario, options.subject, {
        workRoot: options.workRoot,
        scenariosDir: await realFolder(options.scenariosDir),
        keep: options.keep,
        log: options.log,
      }),
    );
  } catch (err) {
    return failed(`the run failed: ${(err as Error).message}`);
  }
  if (options.saveDir) {
    await writeFixture(join(options.saveDir, scenario.name), actual, {
      scenario_digest: scenarioDigest(scenario),
      recorded_with: { program: options.subject.name, version: "" },
    });
  }
  return compareRecordings(expected, actual);
}

export async function runConformance(options: ConformanceOptions): Promise<Report> {
  const scenarios = await loadScenarios(options.scenariosDir, options.only);
  const results: ScenarioResult[] = [];
  for (const scenario of scenarios) {
    options.log?.(`${scenario.name}`);
    results.push(await compareOne(scenario, options));
  }
  return { upstream: options.upstream, subject: options.subject.name, results };
}
