// The git facts session_meta records about the workspace: commit, branch and origin URL.
import { type GitFacts, gitFacts } from "../system/mod.ts";
import type { GitInfo } from "./schema.ts";

/** session_meta's `git` from gathered facts; undefined outside a repository. */
export function gitInfoOf(facts: GitFacts | undefined): GitInfo | undefined {
  if (!facts) return undefined;
  const url = facts.remotes.origin;
  return {
    ...(facts.commit ? { commit_hash: facts.commit } : {}),
    ...(facts.branch ? { branch: facts.branch } : {}),
    ...(url ? { repository_url: url } : {}),
  };
}

/** Git facts of `cwd`, or undefined when it is not inside a work tree (or git is missing). */
export async function gitInfo(cwd: string): Promise<GitInfo | undefined> {
  return gitInfoOf(await gitFacts(cwd));
}
