// The built-in tree: the archive a binary carries, read through the same paths as a folder.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import process from "node:process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  BUILTIN_ROOT,
  bundleConformance,
  hasBuiltin,
  listDir,
  mountBuiltin,
  pathExists,
  readText,
  realFolder,
  unpackTree,
} from "./files.ts";
import { fixtureVersions, readFixture } from "./fixtures.ts";
import { recordedProbes } from "./probes.ts";
import { loadScenarios } from "./conformance_scenario.ts";
import { fixturesWith } from "./testdata/recorded.ts";

/** A checkout-shaped folder: one recorded fixture and one scenario. */
async function checkout(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "tscodex-bundle-"));
  const fixtures = await fixturesWith();
  const { cp } = await import("node:fs/promises");
  await cp(join(fixtures, "upstream"), join(root, "fixtures", "upstream"), { recursive: true });
  await mkdir(join(root, "conformance", "scenarios"), { recursive: true });
  await writeFile(
    join(root, "conformance", "scenarios", "demo.json"),
    JSON.stringify({
      name: "demo",
      description: "one request",
      runs: [{ argv: ["exec", "hi"] }],
      responses: [{ output: [{ type: "message", text: "Hi!" }] }],
    }),
  );
  await mkdir(join(root, "conformance", "scenarios", "mcp"));
  await writeFile(join(root, "conformance", "scenarios", "mcp", "server.mjs"), "import 'x';\n");
  return root;
}

Deno.test("files: the bundle holds every fixture and scenario, the same bytes each time", async () => {
  const root = await checkout();
  const bundle = bundleConformance(root);
  assert.deepEqual(bundle, bundleConformance(root), "reproducible");
  assert.deepEqual([...unpackTree(bundle).keys()], [
    "fixtures/upstream/0.115.0/demo/files.json",
    "fixtures/upstream/0.115.0/demo/meta.json",
    "fixtures/upstream/0.115.0/demo/run-1/requests/001.json",
    "fixtures/upstream/0.115.0/demo/run-1/stderr.txt",
    "fixtures/upstream/0.115.0/demo/run-1/stdout.txt",
    "scenarios/demo.json",
    "scenarios/mcp/server.mjs",
  ]);
  const bundled = unpackTree(bundleConformance(root, () => new TextEncoder().encode("inlined")));
  const text = (name: string) => new TextDecoder().decode(bundled.get(name));
  assert.equal(text("scenarios/mcp/server.mjs"), "inlined");
  assert.equal(JSON.parse(text("scenarios/demo.json")).name, "demo");
});

Deno.test("files: builtin: paths read the mounted archive like a folder", async () => {
  const root = await checkout();
  mountBuiltin(bundleConformance(root));
  try {
    assert.equal(await hasBuiltin(), true);
    const fixtures = `${BUILTIN_ROOT}/fixtures`;
    assert.deepEqual(await fixtureVersions(fixtures), ["0.115.0"]);
    assert.deepEqual(await listDir(`${fixtures}/upstream/0.115.0/demo`), [
      "files.json",
      "meta.json",
      "run-1",
    ]);
    assert.equal(await pathExists(`${fixtures}/upstream/0.115.0/demo/run-1`), true);
    assert.equal(await pathExists(`${fixtures}/upstream/9.9.9`), false);
    const { recording } = await readFixture(`${fixtures}/upstream/0.115.0/demo`);
    assert.equal(recording.runs[0].requests.length, 1);
    const probes = await recordedProbes(fixtures, "0.115.0");
    assert.deepEqual(probes.map((p) => p.id), ["codex/demo/run-1/001"]);
    const scenarios = await loadScenarios(`${BUILTIN_ROOT}/scenarios`);
    assert.deepEqual(scenarios.map((s) => s.name), ["demo"]);
    await assert.rejects(readText(`${fixtures}/nope.json`), { code: "ENOENT" });

    // Programs a scenario starts need real files: the built-in folder is copied out once.
    process.env.TSCODEX_CACHE = join(root, "cache");
    const real = await realFolder(`${BUILTIN_ROOT}/scenarios`);
    assert.ok(real.startsWith(join(root, "cache", "builtin")), real);
    assert.equal(await readFile(join(real, "mcp", "server.mjs"), "utf8"), "import 'x';\n");
    assert.equal(await realFolder(`${BUILTIN_ROOT}/scenarios`), real);
    assert.equal(await realFolder(root), root, "a folder on disk is itself");
  } finally {
    delete process.env.TSCODEX_CACHE;
    mountBuiltin(undefined);
  }
});
