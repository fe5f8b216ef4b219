// The sandbox model commands run in, built with bubblewrap (`bwrap`), as upstream Codex builds its
// Linux one: the whole filesystem mounted read-only, the writable roots bound back writable, the
// `.git`, `.codex` and `.agents` inside them (and tscodex's own patch journals) bound read-only
// again, a fresh /dev and /proc, new PID and network namespaces. Killing bwrap tears the PID
// namespace down, so nothing a command started (daemons that called setsid included) outlives it.
//
// It fails closed: when bwrap is missing or cannot create namespaces here, sandboxedArgv throws
// with what to install or which flag to pass, and the command does not run at all.
import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, readFileSync, realpathSync } from "node:fs";
import { basename, delimiter, dirname, isAbsolute, join, relative, resolve } from "node:path";
import process from "node:process";
import type { SandboxMode } from "../config/mod.ts";
import { isExecutable } from "./pty.ts";

/** What a command may touch: `sandbox_mode` with its `[sandbox_workspace_write]` settings. */
export interface SandboxPolicy {
  mode: SandboxMode;
  /** Directories writable besides the defaults of the mode (config, or granted by the user). */
  writableRoots?: string[];
  /** Let commands reach the network (workspace-write's `network_access`, or a user's grant). */
  networkAccess?: boolean;
  /** workspace-write: leave `$TMPDIR` out of the writable roots. */
  excludeTmpdirEnvVar?: boolean;
  /** workspace-write: leave `/tmp` out of the writable roots. */
  excludeSlashTmp?: boolean;
  /**
   * Folders tscodex trusts for itself (the patch journals, which say what to write where): read-only
   * to commands and patches even inside a writable root, where they are also pinned in place.
   */
  protectedFolders?: string[];
}

const NO_SANDBOX_FLAGS = "-s danger-full-access or --dangerously-bypass-approvals-and-sandbox";

/**
 * A policy and the directory it is anchored to: the session's working directory, from which
 * workspace-write's roots are computed. A command's own working directory (the model's `workdir`)
 * is never the anchor, so no argument of a tool call can change what is writable.
 */
export interface SandboxScope {
  policy: SandboxPolicy;
  workspace: string;
}

/** The scope of a tool call's context: its policy anchored at the session's directory. */
export function scopeOf(ctx: { sandbox?: SandboxPolicy; cwd: string }): SandboxScope | undefined {
  return ctx.sandbox && { policy: ctx.sandbox, workspace: ctx.cwd };
}

/** The sandbox cannot be set up here; the command was not run. */
export class SandboxUnavailableError extends Error {
  override name = "SandboxUnavailableError";
}

/** True when `policy` restricts commands at all (danger-full-access and no policy do not). */
export function isRestricted(policy: SandboxPolicy | undefined): policy is SandboxPolicy {
  return policy !== undefined && policy.mode !== "danger-full-access";
}

function isInside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

/** `path` with symlinks resolved as far as it exists, the missing rest appended. */
export function realPathOf(path: string): string {
  const missing: string[] = [];
  let current = resolve(path);
  for (;;) {
    try {
      return join(realpathSync(current), ...missing.reverse());
    } catch {
      const parent = dirname(current);
      if (parent === current) return resolve(path);
      missing.push(basename(current));
      current = parent;
    }
  }
}

/**
 * The directories a command may write under `policy` (absolute, as configured), or undefined
 * when it may write anywhere. workspace-write adds the session's `workspace`, `/tmp` and
 * `$TMPDIR`, as upstream does unless the policy excludes them; read-only has only explicitly
 * granted roots.
 */
export function writableRoots(
  policy: SandboxPolicy | undefined,
  workspace: string,
): string[] | undefined {
  if (!isRestricted(policy)) return undefined;
  const roots = (policy.writableRoots ?? []).map((root) => resolve(workspace, root));
  if (policy.mode === "workspace-write") {
    roots.unshift(resolve(workspace));
    if (!policy.excludeSlashTmp) roots.push("/tmp");
    const envTmp = process.env.TMPDIR;
    if (!policy.excludeTmpdirEnvVar && envTmp) roots.push(resolve(envTmp));
  }
  return [...new Set(roots)];
}

/** The roots that exist, symlinks resolved (bubblewrap can only bind what exists). */
function existingRoots(roots: string[]): string[] {
  return [...new Set(roots.filter((root) => existsSync(root)).map((root) => realpathSync(root)))];
}

/**
 * What stays read-only inside a writable root, as upstream 0.115.0 protects it: `.git` (a
 * directory, or a worktree's pointer file and the directory it points to), `.codex` and
 * `.agents`, when they exist.
 */
function protectedPaths(root: string): string[] {
  const paths: string[] = [];
  const git = join(root, ".git");
  try {
    const stat = lstatSync(git);
    paths.push(realPathOf(git));
    if (stat.isFile()) {
      const pointer = /^gitdir:\s*(.+)$/m.exec(readFileSync(git, "utf8"))?.[1]?.trim();
      if (pointer) paths.push(realPathOf(resolve(root, pointer)));
    }
  } catch {
    // No .git here.
  }
  for (const name of [".codex", ".agents"]) {
    const path = join(root, name);
    if (existsSync(path)) paths.push(realPathOf(path));
  }
  return paths;
}

/**
 * Whether `policy` anchored at `workspace` lets a command write `path` (relative paths are taken
 * from `workspace`) — the rule apply_patch enforces in-process, the same one the bwrap mounts
 * enforce for commands: inside a writable root (symlinks resolved, so a link out of the
 * workspace is no way out) and not inside a protected `.git`, `.codex` or `.agents`.
 */
export function canWrite(
  path: string,
  policy: SandboxPolicy | undefined,
  workspace: string,
): boolean {
  return mayWrite(realPathOf(resolve(workspace, path)), policy, workspace);
}

/**
 * canWrite for the entry `name` itself inside folder `dir`: a symbolic link there is judged where
 * it is, not where it points (deleting a link writes only its folder).
 */
export function canWriteAt(
  dir: string,
  name: string,
  policy: SandboxPolicy | undefined,
  workspace: string,
): boolean {
  return mayWrite(join(realPathOf(resolve(workspace, dir)), name), policy, workspace);
}

function mayWrite(target: string, policy: SandboxPolicy | undefined, workspace: string): boolean {
  const roots = writableRoots(policy, workspace);
  if (!roots) return true;
  const real = existingRoots(roots);
  if (!real.some((root) => isInside(target, root))) return false;
  return !guardedPaths(policy!, real).some((p) => isInside(target, p));
}

/** Everything read-only inside `roots` (real paths): the protected folders of each, and tscodex's. */
function guardedPaths(policy: SandboxPolicy, roots: string[]): string[] {
  const own = (policy.protectedFolders ?? []).filter((path) => existsSync(path)).map(realPathOf);
  return [...new Set([...roots.flatMap(protectedPaths), ...own])].filter((path) =>
    existsSync(path) && roots.some((root) => isInside(path, root))
  );
}

/**
 * The folders between `path` and the innermost of `roots` holding it. Bound onto themselves they
 * become mount points, which cannot be renamed: otherwise a command could move a protected
 * folder's parent aside and make a new one, with contents of its choosing, where it was.
 */
function foldersAbove(path: string, roots: string[]): string[] {
  const root = roots.filter((r) => isInside(path, r)).sort((a, b) => b.length - a.length)[0];
  const folders: string[] = [];
  for (let dir = dirname(path); root && dir !== root && isInside(dir, root); dir = dirname(dir)) {
    folders.push(dir);
  }
  return folders;
}

export interface BwrapOptions {
  /** Mount a fresh /proc; off where the container forbids it (the probe decides). */
  mountProc: boolean;
  /** Where the command starts; it changes nothing about what is writable. */
  cwd: string;
  /** read-only: the one writable directory, handed to commands as $TMPDIR. */
  privateTmp?: string;
}

/** bwrap's arguments (everything between `bwrap` and the command) for `scope`. */
export function bwrapArgs(scope: SandboxScope, options: BwrapOptions): string[] {
  const { policy, workspace } = scope;
  // Order matters: later mounts win, so the read-only root comes first, then /dev, then the
  // writable binds, then the protected paths' parents pinned, then the protected paths bound
  // read-only over them.
  const args = ["--new-session", "--die-with-parent", "--ro-bind", "/", "/", "--dev", "/dev"];
  const roots = existingRoots(writableRoots(policy, workspace) ?? []);
  for (const root of roots) args.push("--bind", root, root);
  if (policy.mode === "read-only" && options.privateTmp) {
    args.push("--bind", options.privateTmp, options.privateTmp);
    args.push("--setenv", "TMPDIR", options.privateTmp);
  }
  const guarded = guardedPaths(policy, roots).sort();
  const pinned = new Set(guarded.flatMap((path) => foldersAbove(path, roots)));
  for (const dir of [...pinned].sort()) args.push("--bind", dir, dir);
  for (const path of guarded) args.push("--ro-bind", path, path);
  args.push("--unshare-pid");
  if (!policy.networkAccess) args.push("--unshare-net");
  if (options.mountProc) args.push("--proc", "/proc");
  args.push("--chdir", options.cwd, "--");
  return args;
}

export type SandboxSupport =
  | { ok: true; bwrap: string; mountProc: boolean }
  | { ok: false; problem: string };

const supportByPath = new Map<string, SandboxSupport>();

function findOnPath(name: string, path: string): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (dir === "" || !isAbsolute(dir)) continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** Runs an empty sandbox once; undefined when it works, else what bwrap said. */
function probe(bwrap: string, mountProc: boolean): string | undefined {
  const args = bwrapArgs({ policy: { mode: "read-only" }, workspace: "/" }, {
    mountProc,
    cwd: "/",
  });
  const run = spawnSync(bwrap, [...args, "/bin/sh", "-c", ":"], {
    encoding: "utf8",
    timeout: 10_000,
    stdio: ["ignore", "ignore", "pipe"],
  });
  if (run.status === 0) return undefined;
  return run.error?.message ?? (run.stderr.trim() || `exit status ${run.status}`);
}

/**
 * Whether sandboxed commands can run here: bwrap on PATH, and able to create the namespaces (an
 * empty sandbox is run once per PATH and the answer kept). The problem names the fix.
 */
export function sandboxSupport(): SandboxSupport {
  const path = process.env.PATH ?? "/usr/bin:/bin";
  let support = supportByPath.get(path);
  if (!support) supportByPath.set(path, support = detectSupport(path));
  return support;
}

function detectSupport(path: string): SandboxSupport {
  const without = `pass ${NO_SANDBOX_FLAGS} to run commands without one`;
  if (process.platform !== "linux") {
    return {
      ok: false,
      problem: `the command sandbox needs Linux and bubblewrap; on ${process.platform} ${without}`,
    };
  }
  const bwrap = findOnPath("bwrap", path);
  if (!bwrap) {
    return {
      ok: false,
      problem: "the command sandbox needs bubblewrap (bwrap), which is not on PATH: install it " +
        `(apt-get install bubblewrap), or ${without}`,
    };
  }
  const failure = probe(bwrap, true);
  if (failure === undefined) return { ok: true, bwrap, mountProc: true };
  // Some containers refuse a new /proc while the rest works; upstream retries without it too.
  if (probe(bwrap, false) === undefined) return { ok: true, bwrap, mountProc: false };
  return {
    ok: false,
    problem: `bubblewrap (${bwrap}) cannot create the command sandbox here: ${failure}. It ` +
      "needs user namespaces (see sysctl kernel.unprivileged_userns_clone, " +
      "user.max_user_namespaces and, on Ubuntu, kernel.apparmor_restrict_unprivileged_userns); " +
      `or ${without}`,
  };
}

/**
 * `argv` as it must be spawned to run inside `scope`, starting in `cwd`: unchanged when the
 * policy does not restrict, else prefixed with bwrap and its arguments. Throws
 * SandboxUnavailableError (with the fix in its message) rather than ever running a restricted
 * command unsandboxed. Code-mode cells and every command tool spawn through this; `privateTmp`
 * is read-only's writable $TMPDIR.
 */
export function sandboxedArgv(
  argv: string[],
  scope: SandboxScope | undefined,
  cwd: string,
  privateTmp?: string,
): string[] {
  if (!scope || !isRestricted(scope.policy)) return argv;
  const support = sandboxSupport();
  if (!support.ok) throw new SandboxUnavailableError(support.problem);
  const args = bwrapArgs(scope, { mountProc: support.mountProc, cwd, privateTmp });
  return [support.bwrap, ...args, ...argv];
}
