// The `x-codex-turn-metadata` header: compact JSON with upstream's keys, in upstream's order —
// `turn_id`, `workspaces` (only inside a git repository, keyed by its root), `sandbox`.
import { execFile } from "node:child_process";
import { platform } from "node:os";
import process from "node:process";
import type { SandboxMode } from "../config/mod.ts";

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

function git(cwd: string, args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(
      "git",
      args,
      // Optional locks off: a status check must not contend with the user's own git commands.
      { cwd, timeout: 5_000, env: { ...process.env, GIT_OPTIONAL_LOCKS: "0" } },
      (err, stdout) => resolve(err ? undefined : String(stdout)),
    );
  });
}

/** The repository containing `cwd`, described as upstream does; undefined outside git. */
export async function gitWorkspace(
  cwd: string,
): Promise<Record<string, WorkspaceInfo> | undefined> {
  const root = (await git(cwd, ["rev-parse", "--show-toplevel"]))?.trim();
  if (!root) return undefined;
  const [head, remotes, status] = await Promise.all([
    git(root, ["rev-parse", "--verify", "--quiet", "HEAD"]),
    git(root, ["config", "--get-regexp", "^remote\\..*\\.url$"]),
    git(root, ["status", "--porcelain"]),
  ]);
  const urls: Record<string, string> = {};
  for (const line of (remotes ?? "").split("\n").sort()) {
    const match = /^remote\.(.+)\.url (.+)$/.exec(line.trim());
    if (match) urls[match[1]] = match[2];
  }
  return {
    [root]: {
      ...(Object.keys(urls).length ? { associated_remote_urls: urls } : {}),
      ...(head?.trim() ? { latest_git_commit_hash: head.trim() } : {}),
      has_changes: Boolean(status?.trim()),
    },
  };
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
): Promise<TurnMetadata> {
  const workspaces = await gitWorkspace(cwd);
  return {
    turn_id: turnId,
    ...(workspaces ? { workspaces } : {}),
    sandbox: sandboxTag(sandboxMode),
  };
}
