// Opening a session: what model commands may do — the sandbox and when to ask — from the flags,
// then config.toml, then the trust the user gave the folder.
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type { ApprovalPolicy, SandboxMode } from "../../agent/mod.ts";
import { type Config, projectTrust } from "../../config/mod.ts";
import {
  journalFolders,
  PATCH_JOURNAL_FOLDER,
  type SandboxPolicy,
  sandboxSupport,
  writableRoots as sandboxWritableRoots,
} from "../../tools/mod.ts";
import type { AgentSessionOptions } from "./options.ts";

export interface Permissions {
  sandboxMode: SandboxMode;
  approvalPolicy: ApprovalPolicy;
  sandbox: SandboxPolicy;
  /** Where commands may write, as the model is told. */
  writableRoots: string[];
}

/**
 * The sandbox for `mode`; `[sandbox_workspace_write]` and `--add-dir` only shape workspace-write,
 * whose writable roots end, as upstream's do, with CODEX_HOME/memories.
 */
function sandboxFor(
  mode: SandboxMode,
  config: Config,
  cwd: string,
  addDirs: string[] = [],
): SandboxPolicy {
  const table = config.table.sandbox_workspace_write;
  // Whatever else becomes writable (a grant, a root), the patch journals never do.
  const protectedFolders = journalFolders(join(config.home, PATCH_JOURNAL_FOLDER));
  if (mode !== "workspace-write") return { mode, protectedFolders };
  const memories = join(config.home, "memories");
  try {
    mkdirSync(memories, { recursive: true });
  } catch {
    // A read-only CODEX_HOME: the root is listed anyway and the sandbox skips what is missing.
  }
  return {
    mode,
    writableRoots: [
      ...new Set([...(table?.writable_roots ?? []), ...addDirs].map((root) => resolve(cwd, root))),
      memories,
    ],
    networkAccess: table?.network_access ?? false,
    excludeTmpdirEnvVar: table?.exclude_tmpdir_env_var ?? false,
    excludeSlashTmp: table?.exclude_slash_tmp ?? false,
    protectedFolders,
  };
}

/** The sandbox as turn_context records it (the working directory and temp dirs are implied). */
export function recordedSandboxPolicy(sandbox: SandboxPolicy): Record<string, unknown> {
  if (sandbox.mode !== "workspace-write") return { type: sandbox.mode };
  return {
    type: sandbox.mode,
    writable_roots: sandbox.writableRoots ?? [],
    network_access: sandbox.networkAccess ?? false,
    exclude_tmpdir_env_var: sandbox.excludeTmpdirEnvVar ?? false,
    exclude_slash_tmp: sandbox.excludeSlashTmp ?? false,
  };
}

export function decidePermissions(
  options: AgentSessionOptions,
  config: Config,
  demo: boolean,
): Permissions {
  const { cwd } = options;
  // A folder the user decided about (trusted or not) gets workspace-write by default, as
  // upstream's; only the interactive CLI, which can ask, takes its approval policy from it.
  const trust = projectTrust(config.table, cwd);
  let sandboxMode = options.sandboxMode ?? config.sandboxMode ??
    (trust ? "workspace-write" : "read-only");
  const askable = options.source === "cli" ? trust : undefined;
  const approvalPolicy = options.approvalPolicy ?? config.approvalPolicy ??
    (askable === "trusted" ? "on-request" : askable === "untrusted" ? "untrusted" : "never");
  // Commands will fail rather than run unsandboxed; say so before the first one does.
  const support = sandboxMode === "danger-full-access" ? undefined : sandboxSupport();
  if (support && !support.ok) {
    if (demo && !options.sandboxMode) {
      // The offline demo runs two fixed, read-only commands that no model chose, so it may
      // run them without a sandbox — but never without saying so.
      options.notice(
        `tscodex: ${support.problem}\ntscodex: the offline demo runs its two fixed commands ` +
          `without a sandbox; model-chosen commands never do`,
      );
      sandboxMode = "danger-full-access";
    } else options.notice(`tscodex: warning: ${support.problem}`);
  }
  const sandbox = sandboxFor(sandboxMode, config, cwd, options.addDirs);
  return {
    sandboxMode,
    approvalPolicy,
    sandbox,
    writableRoots: sandboxWritableRoots(sandbox, cwd) ?? [],
  };
}
