import assert from "node:assert/strict";
import { mkdir, mkdtemp, realpath } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { projectTrust } from "./trust.ts";

Deno.test("projectTrust: the work dir's entry, else its git repository's, else none", async () => {
  const root = await realpath(await mkdtemp(join(tmpdir(), "trust-")));
  const repo = join(root, "repo");
  const sub = join(repo, "src");
  await mkdir(join(repo, ".git"), { recursive: true });
  await mkdir(sub, { recursive: true });
  const table = { projects: { [repo]: { trust_level: "trusted" } } };
  assert.equal(projectTrust(table, repo), "trusted");
  assert.equal(projectTrust(table, sub), "trusted");
  assert.equal(
    projectTrust({ projects: { [sub]: { trust_level: "untrusted" } } }, sub),
    "untrusted",
  );
  // An ancestor that is not the repository root does not lend its trust.
  assert.equal(projectTrust({ projects: { [root]: { trust_level: "trusted" } } }, sub), undefined);
  assert.equal(projectTrust({ projects: { [repo]: { trust_level: "maybe" } } }, repo), undefined);
  assert.equal(projectTrust({}, repo), undefined);
});
