// The work dir a scenario asks for: `after_commit_files` are left uncommitted.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runScenario } from "./scenario_run.ts";
import { parseConformanceScenario } from "./conformance_scenario.ts";

Deno.test("after_commit_files are written after the commit, as uncommitted changes", async () => {
  const workRoot = await mkdtemp(join(tmpdir(), "tscodex-sandbox-"));
  try {
    const scenario = parseConformanceScenario({
      name: "dirty",
      description: "a work dir with changes",
      files: { "a.txt": "one\n" },
      after_commit_files: { "a.txt": "two\n", "new/b.txt": "b\n" },
      // The "program" is git itself: what it reports is what a review would see.
      runs: [{ argv: ["--porcelain", "--untracked-files=all"] }],
      responses: [{ output: [{ type: "message", text: "unused" }] }],
    }, "<inline>");
    const raw = await runScenario(scenario, { name: "git status", command: ["git", "status"] }, {
      workRoot,
    });
    assert.equal(raw.runs[0].exit_code, 0, raw.runs[0].stderr);
    assert.equal(raw.runs[0].stdout, " M a.txt\n?? new/b.txt\n");
    assert.deepEqual(raw.files, { "a.txt": "two\n", "new/b.txt": "b\n" });
  } finally {
    await rm(workRoot, { recursive: true, force: true });
  }
});
