// The `x-codex-turn-metadata` header: compact JSON with upstream's keys, in upstream's order —
// `turn_id`, `workspaces` (only inside a git repository, keyed by its root), `sandbox`.
import { platform } from "node:os";
import type { SandboxMode } from "../config/mod.ts";
import { type GitFacts, gitFacts } from "../system/mod.ts";

export interface WorkspaceInfo {
  associated_remote_urls?: Record<string, string>;
  latest_git_commit_hash?: string;
  has_changes: boolean;
}

export interface TurnMetadata {
  turn_id: string;
  workspaces?: Record<string, WorkspaceInfo>;
  sandbox: string;
}

/** `workspaces` from gathered facts: the repository root → remotes, HEAD, changes. */
export function workspaceOf(
  facts: GitFacts | undefined,
): Record<string, WorkspaceInfo> | undefined {
  if (!facts) return undefined;
  const urls = facts.remotes;
  return {
    [facts.root]: {
      ...(Object.keys(urls).length ? { associated_remote_urls: urls } : {}),
      ...(facts.commit ? { latest_git_commit_hash: facts.commit } : {}),
      has_changes: facts.hasChanges,
    },
  };
}

/** The repository containing `cwd`, described as upstream does; undefined outside git. */
export async function gitWorkspace(
  cwd: string,
): Promise<Record<string, WorkspaceInfo> | undefined> {
  return workspaceOf(await gitFacts(cwd));
}

/** Upstream's name for the sandbox a turn runs under. */
export function sandboxTag(mode: SandboxMode | undefined): string {
  if (mode === "danger-full-access") return "none";
  switch (platform()) {
    case "linux":
      return "seccomp";
    case "darwin":
      return "seatbelt";
    case "win32":
      return "windows_sandbox";
    default:
      return "none";
  }
}

export async function turnMetadata(
  turnId: string,
  cwd: string,
  sandboxMode: SandboxMode | undefined,
  facts?: Promise<GitFacts | undefined>,
): Promise<TurnMetadata> {
  const workspaces = facts ? workspaceOf(await facts) : await gitWorkspace(cwd);
  return {
    turn_id: turnId,
    ...(workspaces ? { workspaces } : {}),
    sandbox: sandboxTag(sandboxMode),
  };
}
