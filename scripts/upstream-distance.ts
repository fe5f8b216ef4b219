// How far a newer upstream release moved from the one tscodex targets: the conformance diff of one
// set of upstream fixtures against another, scenario by scenario, as a Markdown table.
// Usage: deno run -A scripts/upstream-distance.ts [--from 0.115.0] [--to 0.171.0]
import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  compareRecordings,
  fixtureDir,
  NEWEST_UPSTREAM,
  PRIMARY_UPSTREAM,
  readFixture,
  renderMarkdown,
} from "../conformance/mod.ts";

const fixtures = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures");
const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    from: { type: "string", default: PRIMARY_UPSTREAM },
    to: { type: "string", default: NEWEST_UPSTREAM },
  },
});
const from = values.from!;
const to = values.to!;
const names = (await readdir(join(fixtures, "upstream", from))).sort();
const results = [];
const missing: string[] = [];
for (const name of names) {
  if (!existsSync(join(fixtureDir(fixtures, to, name), "meta.json"))) {
    missing.push(name);
    continue;
  }
  const older = await readFixture(fixtureDir(fixtures, from, name));
  const newer = await readFixture(fixtureDir(fixtures, to, name));
  results.push(compareRecordings(older.recording, newer.recording));
}
process.stdout.write(renderMarkdown({ upstream: from, subject: `upstream ${to}`, results }, 2));
if (missing.length) {
  process.stdout.write(`\nNot recorded for ${to}: ${missing.join(", ")}.\n`);
}
