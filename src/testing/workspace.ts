// Real temp folders for session tests: a plain one, or a git work tree with one commit (so
// session_meta has git facts to record, as upstream's captures do).
import { execFileSync } from "node:child_process";
import { mkdtemp, realpath, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export async function tempDir(prefix: string): Promise<string> {
  return await realpath(await mkdtemp(join(tmpdir(), prefix)));
}

/** Runs git in `cwd` with a throwaway identity. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", ["-c", "user.email=a@b", "-c", "user.name=t", ...args], { cwd })
    .toString().trim();
}

export async function gitWorkspace(prefix = "session-repo-"): Promise<string> {
  const cwd = await tempDir(prefix);
  git(cwd, "init", "-q", "-b", "main");
  await writeFile(join(cwd, "README.md"), "# demo\n");
  git(cwd, "add", ".");
  git(cwd, "commit", "-qm", "init");
  return cwd;
}
