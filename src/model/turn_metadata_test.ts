import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, realpath, rm, writeFile } from "node:fs/promises";
import { platform, tmpdir } from "node:os";
import { join } from "node:path";
import { sandboxTag, turnMetadata } from "./turn_metadata.ts";

async function tempDir(): Promise<string> {
  return await realpath(await mkdtemp(join(tmpdir(), "tscodex-meta-")));
}

Deno.test("turn metadata inside git: the repository root, remotes, HEAD and changes", async () => {
  const repo = await tempDir();
  try {
    const git = (...args: string[]) => execFileSync("git", args, { cwd: repo, stdio: "ignore" });
    git("init", "-q");
    // A repository without commits has no HEAD: the hash is left out, as upstream does.
    const empty = await turnMetadata("t0", repo, "read-only");
    assert.deepEqual(empty.workspaces, { [repo]: { has_changes: false } });

    await writeFile(join(repo, "a.txt"), "a\n");
    git("add", "a.txt");
    git("-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "init");
    git("remote", "add", "upstream", "git@example.com:u.git");
    git("remote", "add", "origin", "https://example.com/o.git");
    const head = execFileSync("git", ["rev-parse", "HEAD"], { cwd: repo }).toString().trim();
    await mkdir(join(repo, "sub"));
    await writeFile(join(repo, "sub", "untracked.txt"), "new\n");

    const meta = await turnMetadata("turn-1", join(repo, "sub"), "danger-full-access");
    // Key order matters: the header is compared as text.
    assert.equal(
      JSON.stringify(meta),
      JSON.stringify({
        turn_id: "turn-1",
        workspaces: {
          [repo]: {
            associated_remote_urls: {
              origin: "https://example.com/o.git",
              upstream: "git@example.com:u.git",
            },
            latest_git_commit_hash: head,
            has_changes: true,
          },
        },
        sandbox: "none",
      }),
    );
  } finally {
    await rm(repo, { recursive: true, force: true });
  }
});

Deno.test("turn metadata outside git has no workspaces key", async () => {
  const dir = await tempDir();
  try {
    const meta = await turnMetadata("turn-2", dir, undefined);
    assert.deepEqual(Object.keys(meta), ["turn_id", "sandbox"]);
    assert.equal(meta.sandbox, sandboxTag(undefined));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

Deno.test("sandbox tag: none without a sandbox, the platform's sandbox otherwise", () => {
  assert.equal(sandboxTag("danger-full-access"), "none");
  const expected = { linux: "seccomp", darwin: "seatbelt", win32: "windows_sandbox" }[
    platform() as "linux" | "darwin" | "win32"
  ] ?? "none";
  assert.equal(sandboxTag("read-only"), expected);
  assert.equal(sandboxTag("workspace-write"), expected);
});
