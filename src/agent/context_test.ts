import assert from "node:assert/strict";
import { mkdir, mkdtemp, realpath, rm, symlink, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { userInstructions } from "./context.ts";
import { makeFifo } from "../testing/mod.ts";

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

Deno.test("an AGENTS.md a model could plant (huge, a FIFO, a link to a device) never stalls a session's start", async () => {
  const { repo, sub } = await layout();
  // Sparse: 3 GiB that take no disk, more than a whole read of it could hold.
  await truncate(join(repo, "AGENTS.md"), 3 * 1024 ** 3);
  const cut = userInstructions(sub, { maxBytes: 64 });
  assert.equal(cut, "Root rules: é.\n" + "\0".repeat(48));
  await rm(join(sub, "AGENTS.md"));
  makeFifo(sub, "AGENTS.md");
  await rm(join(repo, "AGENTS.md"));
  await symlink("/dev/zero", join(repo, "AGENTS.md"));
  assert.equal(userInstructions(sub), undefined, "neither is a file to read");
});
