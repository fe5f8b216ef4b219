// What git says about the work folder, gathered once at the start of a session: the session's
// metadata (commit, branch, origin) and the first turn's `x-codex-turn-metadata` (root, remotes,
// HEAD, uncommitted changes) both come from it. Three git processes run side by side; a run
// outside a repository, without git, or with a hung git yields no facts rather than an error.
import { execFile } from "node:child_process";
import { realpathSync } from "node:fs";
import { isAbsolute } from "node:path";
import process from "node:process";

/** A slow or hung git must not hold up the start of a session. */
const GIT_TIMEOUT_MS = 5_000;

export interface GitFacts {
  /** The work tree's top folder. */
  root: string;
  /** HEAD's commit; absent in a repository without commits. */
  commit?: string;
  /** The checked-out branch; absent on a detached HEAD or without commits. */
  branch?: string;
  /** Remote name → URL. */
  remotes: Record<string, string>;
  hasChanges: boolean;
}

export function git(cwd: string, args: string[]): Promise<{ ok: boolean; out: string }> {
  return new Promise((resolve) => {
    execFile(
      "git",
      args,
      // Optional locks off: a status check must not contend with the user's own git commands.
      { cwd, timeout: GIT_TIMEOUT_MS, env: { ...process.env, GIT_OPTIONAL_LOCKS: "0" } },
      (err, stdout) => resolve({ ok: !err, out: String(stdout ?? "") }),
    );
  });
}

let early: { cwd: string; facts: Promise<GitFacts | undefined> } | undefined;

/**
 * Starts gathering the facts for `cwd` now, while the rest of the program loads; the next
 * `gitFacts` call for the same folder takes them. A folder that does not exist is left alone.
 */
export function prefetchGitFacts(cwd: string): void {
  try {
    const real = realpathSync(cwd);
    early = { cwd: real, facts: probe(real) };
  } catch {
    early = undefined;
  }
}

/** The facts about the repository holding `cwd`, or undefined outside one. */
export function gitFacts(cwd: string): Promise<GitFacts | undefined> {
  const taken = early;
  early = undefined;
  if (taken?.cwd === cwd) return taken.facts;
  return probe(cwd);
}

async function probe(cwd: string): Promise<GitFacts | undefined> {
  const [revs, remotes, status] = await Promise.all([
    // One process for the root, HEAD and the branch name. Without commits it fails after
    // printing the root, which still says "inside a repository".
    git(cwd, ["rev-parse", "--show-toplevel", "HEAD", "--abbrev-ref", "HEAD"]),
    git(cwd, ["config", "--get-regexp", "^remote\\..*\\.url$"]),
    git(cwd, ["status", "--porcelain"]),
  ]);
  const [root, commit, branch] = revs.out.split("\n").map((line) => line.trim());
  if (!root || !isAbsolute(root)) return undefined;
  const urls: Record<string, string> = {};
  for (const line of remotes.out.split("\n").sort()) {
    const match = /^remote\.(.+)\.url (.+)$/.exec(line.trim());
    if (match) urls[match[1]] = match[2];
  }
  return {
    root,
    ...(revs.ok && commit ? { commit } : {}),
    ...(revs.ok && branch && branch !== "HEAD" ? { branch } : {}),
    remotes: urls,
    hasChanges: status.ok && status.out.trim() !== "",
  };
}
