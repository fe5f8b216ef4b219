// The git facts session_meta records about the workspace: commit, branch and origin URL.
import { execFile } from "node:child_process";
import type { GitInfo } from "./schema.ts";

/** A slow or hung git must not hold up the start of a session. */
const GIT_TIMEOUT_MS = 5_000;

function git(cwd: string, args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile("git", args, { cwd, timeout: GIT_TIMEOUT_MS }, (err, stdout) => {
      const out = String(stdout ?? "").trim();
      resolve(err || !out ? undefined : out);
    });
  });
}

/** Git facts of `cwd`, or undefined when it is not inside a work tree (or git is missing). */
export async function gitInfo(cwd: string): Promise<GitInfo | undefined> {
  if (await git(cwd, ["rev-parse", "--is-inside-work-tree"]) !== "true") return undefined;
  const [commit, branch, url] = await Promise.all([
    git(cwd, ["rev-parse", "HEAD"]),
    git(cwd, ["rev-parse", "--abbrev-ref", "HEAD"]),
    git(cwd, ["remote", "get-url", "origin"]),
  ]);
  return {
    ...(commit ? { commit_hash: commit } : {}),
    // A detached HEAD has no branch name.
    ...(branch && branch !== "HEAD" ? { branch } : {}),
    ...(url ? { repository_url: url } : {}),
  };
}
