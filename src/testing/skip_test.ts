// Skips are said and logged for CI, never silent.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import process from "node:process";
import { skipWhen } from "./skip.ts";
import { tempDir } from "./workspace.ts";

Deno.test("skipWhen: no problem runs the tests; a problem skips them and is logged for CI", async () => {
  const saved = process.env.TSCODEX_SKIP_LOG;
  const log = join(await tempDir("skip-log-"), "skips.jsonl");
  process.env.TSCODEX_SKIP_LOG = log;
  try {
    assert.equal(skipWhen("the tmux tests", undefined), false);
    assert.equal(skipWhen("the tmux tests", false), false);
    assert.equal(skipWhen("the tmux tests", "tmux is not installed"), true);
    assert.equal(skipWhen("the sandbox tests", "no user namespaces", false), true);
    const lines = (await readFile(log, "utf8")).trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(lines, [
      { what: "the tmux tests", problem: "tmux is not installed", ciCanFix: true },
      { what: "the sandbox tests", problem: "no user namespaces", ciCanFix: false },
    ]);
  } finally {
    if (saved === undefined) delete process.env.TSCODEX_SKIP_LOG;
    else process.env.TSCODEX_SKIP_LOG = saved;
  }
});
