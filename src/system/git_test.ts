import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gitFacts, prefetchGitFacts } from "./git.ts";

function repo(): { root: string; git: (...args: string[]) => string } {
  const root = realpathSync(mkdtempSync(join(tmpdir(), "tscodex-git-")));
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", ...args], {
      cwd: root,
    }).toString().trim();
  git("init", "-q", "-b", "main");
  return { root, git };
}

Deno.test("gitFacts: root, HEAD, branch, remotes and changes, from a subfolder too", async () => {
  const { root, git } = repo();
  writeFileSync(join(root, "a.txt"), "a\n");
  git("add", "a.txt");
  git("commit", "-qm", "init");
  git("remote", "add", "origin", "https://example.com/o.git");
  git("remote", "add", "fork", "git@example.com:f.git");
  mkdirSync(join(root, "sub"));
  const facts = await gitFacts(join(root, "sub"));
  assert.deepEqual(facts, {
    root,
    commit: git("rev-parse", "HEAD"),
    branch: "main",
    remotes: { fork: "git@example.com:f.git", origin: "https://example.com/o.git" },
    hasChanges: false,
  });
  writeFileSync(join(root, "b.txt"), "new\n");
  assert.equal((await gitFacts(root))?.hasChanges, true);
  git("checkout", "-q", "--detach");
  assert.equal((await gitFacts(root))?.branch, undefined, "a detached HEAD has no branch");
});

Deno.test("gitFacts: a repository without commits, and a folder outside any", async () => {
  const { root } = repo();
  assert.deepEqual(await gitFacts(root), { root, remotes: {}, hasChanges: false });
  const outside = mkdtempSync(join(tmpdir(), "tscodex-nogit-"));
  assert.equal(await gitFacts(outside), undefined);
});

Deno.test("prefetchGitFacts: the next call for that folder takes them, once", async () => {
  const { root, git } = repo();
  writeFileSync(join(root, "a.txt"), "a\n");
  git("add", "a.txt");
  git("commit", "-qm", "init");
  prefetchGitFacts(root);
  const early = gitFacts(root);
  assert.equal((await early)?.hasChanges, false);
  writeFileSync(join(root, "b.txt"), "new\n");
  // Taken once: a later call asks git again and sees the new file.
  assert.equal((await gitFacts(root))?.hasChanges, true);
  // A prefetch for another folder is not used for this one.
  prefetchGitFacts(tmpdir());
  assert.equal((await gitFacts(root))?.root, root);
  // A folder that does not exist is not probed; the call after still works.
  prefetchGitFacts(join(root, "missing"));
  assert.equal((await gitFacts(root))?.root, root);
});
