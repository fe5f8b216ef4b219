// Regression checks against a saved report: tscodex is still catching up with upstream, so CI
// compares each run with the known differences and fails only on new ones.
import { readFile } from "node:fs/promises";
import type { Difference } from "./diff.ts";
import type { Report } from "./report.ts";

/** A difference with its scenario; a scenario that could not run is category `error`. */
export interface Located extends Omit<Difference, "category"> {
  scenario: string;
  category: Difference["category"] | "error";
}

export interface BaselineComparison {
  /** Differences (or scenario errors, as category `error`) the baseline did not have. */
  regressions: Located[];
  /** Baseline differences that are gone. */
  fixed: Located[];
}

/** What ours sends may change while still differing: only where and what upstream had counts. */
function key(d: Located): string {
  return JSON.stringify([d.scenario, d.category, d.field, d.expected]);
}

function located(report: Report): Located[] {
  return report.results.flatMap((r) => [
    ...r.differences.map((d) => ({ ...d, scenario: r.scenario })),
    ...(r.error
      ? [{
        scenario: r.scenario,
        category: "error" as const,
        field: "",
        expected: "",
        actual: r.error,
      }]
      : []),
  ]);
}

export function compareWithBaseline(report: Report, baseline: Report): BaselineComparison {
  const now = located(report);
  const before = located(baseline);
  const nowKeys = new Set(now.map(key));
  const beforeKeys = new Set(before.map(key));
  // A scenario the run skipped (--scenario) has neither regressions nor fixes.
  const ran = new Set(report.results.map((r) => r.scenario));
  return {
    regressions: now.filter((d) => !beforeKeys.has(key(d))),
    fixed: before.filter((d) => ran.has(d.scenario) && !nowKeys.has(key(d))),
  };
}

export async function readBaseline(file: string): Promise<Report> {
  let value: Report;
  try {
    value = JSON.parse(await readFile(file, "utf8"));
  } catch (err) {
    throw new Error(`baseline ${file}: ${(err as Error).message}`);
  }
  if (!Array.isArray(value?.results)) {
    throw new Error(`baseline ${file}: not a report (write one with --report json --out FILE)`);
  }
  return value;
}
