import assert from "node:assert/strict";
import { mkdir, mkdtemp, realpath, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { userInstructions } from "./context.ts";

/** A git work dir `repo/sub` with AGENTS.md at both levels, and a CODEX_HOME beside it. */
async function layout(): Promise<{ home: string; repo: string; sub: string }> {
  const root = await realpath(await mkdtemp(join(tmpdir(), "tscodex-agents-")));
  const home = join(root, "home");
  const repo = join(root, "repo");
  const sub = join(repo, "sub");
  await mkdir(join(repo, ".git"), { recursive: true });
  await mkdir(sub, { recursive: true });
  await mkdir(home);
  await writeFile(join(home, "AGENTS.md"), "\nHome rules.\n\n");
  await writeFile(join(repo, "AGENTS.md"), "Root rules: é.\n");
  await writeFile(join(sub, "AGENTS.md"), "Sub rules.\n");
  return { home, repo, sub };
}

Deno.test("user instructions: the user's own, a separator line, then the project's from the root down", async () => {
  const { home, sub } = await layout();
  assert.equal(
    userInstructions(sub, { codexHome: home, configured: "Be brief." }),
    "Be brief.\n\nHome rules.\n\n--- project-doc ---\n\nRoot rules: é.\n\n\nSub rules.\n",
  );
  assert.equal(userInstructions(sub, { codexHome: home, maxBytes: 0 }), "Home rules.");
  assert.equal(userInstructions(sub), "Root rules: é.\n\n\nSub rules.\n");
});

Deno.test("project_doc_max_bytes counts bytes, and the file that crosses it is cut there", async () => {
  const { sub } = await layout();
  // "Root rules: é.\n" is 16 bytes (é is two): 18 leaves two for the next file.
  assert.equal(userInstructions(sub, { maxBytes: 18 }), "Root rules: é.\n\n\nSu");
  assert.equal(userInstructions(sub, { maxBytes: 4 }), "Root");
});
