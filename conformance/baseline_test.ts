import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compareWithBaseline, readBaseline } from "./baseline.ts";
import type { Difference } from "./diff.ts";
import { renderJson, type Report } from "./report.ts";

const diff = (field: string, actual: unknown = "ours"): Difference => ({
  category: "headers",
  field,
  expected: "upstream",
  actual,
});

function report(results: Array<[string, Difference[], string?]>): Report {
  return {
    upstream: "0.115.0",
    subject: "tscodex",
    results: results.map(([scenario, differences, error]) => ({
      scenario,
      differences,
      compared: [],
      ...(error ? { error } : {}),
    })),
  };
}

Deno.test("only differences the baseline lacks are regressions; vanished ones are fixed", () => {
  const baseline = report([["a", [diff("x"), diff("y")]], ["b", [diff("z")]], ["c", [diff("w")]]]);
  const now = report([["a", [diff("x", "changed but still wrong"), diff("new")]], ["b", []], [
    "d",
    [],
    "no fixture",
  ]]);
  const { regressions, fixed } = compareWithBaseline(now, baseline);
  assert.deepEqual(regressions.map((d) => `${d.scenario} ${d.category} ${d.field}`), [
    "a headers new",
    "d error ",
  ]);
  // c did not run this time, so its difference is neither fixed nor a regression.
  assert.deepEqual(fixed.map((d) => `${d.scenario} ${d.field}`), ["a y", "b z"]);
});

Deno.test("a baseline is a saved JSON report", async () => {
  const dir = await mkdtemp(join(tmpdir(), "tscodex-baseline-"));
  const file = join(dir, "baseline.json");
  const saved = report([["a", [diff("x")]]]);
  await writeFile(file, renderJson(saved));
  assert.deepEqual((await readBaseline(file)).results, saved.results);
  await writeFile(file, "{}");
  await assert.rejects(readBaseline(file), /not a report/);
  await assert.rejects(readBaseline(join(dir, "none.json")), /baseline .*none\.json/);
});
