import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  ConformanceScenarioError,
  DEFAULT_USAGE,
  expandVariants,
  loadScenarios,
  parseConformanceScenario,
  scenarioDigest,
} from "./conformance_scenario.ts";

const SCENARIOS = join(dirname(fileURLToPath(import.meta.url)), "scenarios");

const MINIMAL = {
  name: "demo",
  description: "d",
  runs: [{ argv: ["exec", "hi"] }],
  responses: [{ output: [{ type: "message", text: "x" }] }],
};

Deno.test("defaults: a README in a git work dir, fixed usage, no config additions", () => {
  const scenario = parseConformanceScenario(MINIMAL, "<inline>");
  assert.deepEqual(scenario.files, { "README.md": "# demo\n" });
  assert.equal(scenario.git, true);
  assert.deepEqual(scenario.config, {});
  assert.deepEqual(scenario.responses[0].usage, DEFAULT_USAGE);
  assert.equal(scenario.runs[0].timeout_ms, 120_000);
});

Deno.test("the json variant puts --json right after exec, also before a resume", () => {
  const scenario = parseConformanceScenario({
    ...MINIMAL,
    runs: [{ argv: ["exec", "-s", "x", "hi"] }, { argv: ["exec", "resume", "--last", "go"] }],
    variants: ["json"],
  }, "<inline>");
  const [plain, json] = expandVariants(scenario);
  assert.equal(plain, scenario);
  assert.equal(json.name, "demo-json");
  assert.deepEqual(json.runs.map((r) => r.argv), [
    ["exec", "--json", "-s", "x", "hi"],
    ["exec", "--json", "resume", "--last", "go"],
  ]);
  assert.notEqual(scenarioDigest(plain), scenarioDigest(json));
});

Deno.test("invalid scenarios name the file and the problem", async () => {
  assert.throws(
    () => parseConformanceScenario({ ...MINIMAL, runs: [] }, "x.json"),
    (e: Error) => e instanceof ConformanceScenarioError && /x\.json.*runs/.test(e.message),
  );
  assert.throws(
    () => parseConformanceScenario(MINIMAL, "/a/other.json"),
    /name "demo" differs from the file name/,
  );
  const dir = await mkdtemp(join(tmpdir(), "tscodex-scenarios-"));
  await writeFile(join(dir, "demo.json"), JSON.stringify(MINIMAL));
  await assert.rejects(loadScenarios(dir, ["nope"]), /no scenario named nope \(have: demo\)/);
  await writeFile(join(dir, "broken.json"), "{");
  await assert.rejects(loadScenarios(dir), /broken\.json: not readable JSON/);
});

Deno.test("every committed scenario loads, with unique names", async () => {
  const all = await loadScenarios(SCENARIOS);
  assert.ok(all.length >= 20, `only ${all.length} scenarios`);
  assert.equal(new Set(all.map((s) => s.name)).size, all.length);
  for (const name of ["plain", "exec-command-json", "write-stdin", "resume", "stream-cut"]) {
    assert.ok(all.some((s) => s.name === name), name);
  }
});

Deno.test("routes carry their own script with the fixed usage; without routes no key is added", () => {
  const routed = parseConformanceScenario({
    ...MINIMAL,
    routes: [{
      name: "child",
      header: "x-openai-subagent",
      responses: [{ output: [{ type: "message", text: "hi" }] }],
    }],
  }, "<inline>");
  assert.deepEqual(routed.routes?.[0].responses[0].usage, DEFAULT_USAGE);
  assert.equal(routed.routes?.[0].after_last, "error");
  const plain = parseConformanceScenario(MINIMAL, "<inline>");
  assert.ok(!("routes" in plain), "the digest of a scenario without routes is unchanged");
  assert.throws(
    () => parseConformanceScenario({ ...MINIMAL, routes: [{ name: "x", responses: [] }] }, "f"),
    (err) => err instanceof ConformanceScenarioError && /at routes\.0\./.test(err.message),
  );
});
