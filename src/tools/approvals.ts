// When a model command needs the user's approval, following upstream's orchestrator: a command
// asking to leave the sandbox (`sandbox_permissions: "require_escalated"`) is refused outright
// unless the policy is on-request, where the user decides; under `untrusted` anything not known
// to be read-only waits for the user; and under `on-failure` / `untrusted` a command the sandbox
// seems to have stopped may be run again outside it once the user agrees. Who asks (the REPL's
// prompt) is injected; with nobody to ask, the answer is no.
import { basename } from "node:path";
import type { ApprovalPolicy } from "../config/mod.ts";
import type { ToolContext } from "./registry.ts";
import { isRestricted } from "./sandbox.ts";

export type ApprovalDecision = "approved" | "approved_for_session" | "denied";

/**
 * Why the user is asked: escalation out of the sandbox, an untrusted command, a retry, or a
 * patch under `untrusted`.
 */
export type ApprovalReason = "escalation" | "untrusted" | "sandbox_denied" | "patch";

export interface ApprovalRequest {
  callId: string;
  /** The argv as it would run. */
  command: string[];
  cwd: string;
  reason: ApprovalReason;
  /** The model's one-line question, sent with an escalation. */
  justification?: string;
  /** The patch itself, when a patch is what would be applied. */
  patch?: string;
}

export type ApprovalHandler = (
  request: ApprovalRequest,
  signal: AbortSignal,
) => Promise<ApprovalDecision>;

/** The session's approval policy, who to ask, and what the user approved for the session. */
export class CommandApprovals {
  readonly #approvedForSession = new Set<string>();
  /** The question on screen: calls running in parallel wait their turn to ask. */
  #asking: Promise<unknown> = Promise.resolve();

  constructor(readonly policy: ApprovalPolicy, readonly handler?: ApprovalHandler) {}

  /** True when the user approves; a command approved for the session is not asked again. */
  ask(request: ApprovalRequest, signal: AbortSignal): Promise<boolean> {
    const answer = this.#asking.then(() => this.#askNow(request, signal));
    this.#asking = answer.catch(() => undefined);
    return answer;
  }

  async #askNow(request: ApprovalRequest, signal: AbortSignal): Promise<boolean> {
    const key = JSON.stringify(request.command);
    if (this.#approvedForSession.has(key)) return true;
    if (!this.handler || signal.aborted) return false;
    const decision = await this.handler(request, signal);
    if (decision === "approved_for_session") this.#approvedForSession.add(key);
    return decision !== "denied";
  }
}

/** The user said no (upstream's words, which models know). */
export const REJECTED_BY_USER = "rejected by user";

/** The policy names as upstream prints them (Rust's Debug of `AskForApproval`). */
const POLICY_NAMES: Record<ApprovalPolicy, string> = {
  never: "Never",
  "on-failure": "OnFailure",
  "on-request": "OnRequest",
  untrusted: "UnlessTrusted",
};

/**
 * Upstream's refusal of an escalation the policy does not allow; unified exec says "cannot",
 * the one-shot shell tools "should not".
 */
export function escalationRefusal(policy: ApprovalPolicy, verb: "cannot" | "should not"): string {
  const name = POLICY_NAMES[policy];
  return `approval policy is ${name}; reject command — you ${verb} ask for escalated ` +
    `permissions if the approval policy is ${name}`;
}

export interface CommandRequest {
  argv: string[];
  cwd: string;
  /** `sandbox_permissions` was `require_escalated`. */
  escalated: boolean;
  justification?: string;
}

export type CommandGate =
  | { kind: "run"; sandboxed: boolean }
  | { kind: "refused"; policy: ApprovalPolicy }
  | { kind: "rejected" };

function policyOf(ctx: ToolContext): ApprovalPolicy {
  return ctx.approvals?.policy ?? "never";
}

function ask(
  ctx: ToolContext,
  request: CommandRequest,
  reason: ApprovalReason,
): Promise<boolean> {
  if (!ctx.approvals) return Promise.resolve(false);
  return ctx.approvals.ask({
    callId: ctx.callId,
    command: request.argv,
    cwd: request.cwd,
    reason,
    ...(request.justification !== undefined ? { justification: request.justification } : {}),
  }, ctx.signal);
}

/** Whether and how a command may start: in the sandbox, outside it, or not at all. */
export async function gateCommand(request: CommandRequest, ctx: ToolContext): Promise<CommandGate> {
  const policy = policyOf(ctx);
  if (request.escalated) {
    if (policy !== "on-request") return { kind: "refused", policy };
    // Without a sandbox there is nothing to escalate out of.
    if (!isRestricted(ctx.sandbox)) return { kind: "run", sandboxed: false };
    return await ask(ctx, request, "escalation")
      ? { kind: "run", sandboxed: false }
      : { kind: "rejected" };
  }
  if (policy === "untrusted" && !isKnownSafeCommand(request.argv)) {
    if (!await ask(ctx, request, "untrusted")) return { kind: "rejected" };
  }
  return { kind: "run", sandboxed: true };
}

/** The user said no to a patch (upstream's words). */
export const PATCH_REJECTED_BY_USER = "patch rejected by user";

/**
 * Whether a patch may be applied as far as the user is concerned: under `untrusted` every patch
 * waits for them, as upstream asks for each; the sandbox still judges the paths afterwards.
 */
export async function patchApproved(
  patch: string,
  folder: string,
  ctx: ToolContext,
): Promise<boolean> {
  if (policyOf(ctx) !== "untrusted") return true;
  if (!ctx.approvals) return false;
  return await ctx.approvals.ask({
    callId: ctx.callId,
    command: ["apply_patch"],
    cwd: folder,
    reason: "patch",
    patch,
  }, ctx.signal);
}

/**
 * After a sandboxed run that looks denied: "approved" to run it again outside the sandbox,
 * "denied" when the user refused, "not_asked" when the policy does not retry (never, on-request).
 */
export async function retryOutsideSandbox(
  request: CommandRequest,
  ctx: ToolContext,
): Promise<"approved" | "denied" | "not_asked"> {
  const policy = policyOf(ctx);
  if (policy !== "on-failure" && policy !== "untrusted") return "not_asked";
  return await ask(ctx, request, "sandbox_denied") ? "approved" : "denied";
}

/** What failing commands print when the sandbox stopped them (upstream's list, plus bwrap's). */
const DENIAL_WORDS = [
  "operation not permitted",
  "permission denied",
  "read-only file system",
  "seccomp",
  "sandbox",
  "landlock",
  "failed to write file",
  // Inside bwrap's empty network namespace, a lookup or a connection out fails like this.
  "network is unreachable",
  "temporary failure in name resolution",
  "could not resolve host",
];

/** Upstream's guess that a failure came from the sandbox rather than the command itself. */
export function looksDeniedBySandbox(exitCode: number, output: string): boolean {
  if (exitCode === 0) return false;
  const lower = output.toLowerCase();
  return DENIAL_WORDS.some((word) => lower.includes(word));
}

/** Programs that only read, whatever their arguments (upstream's list). */
const SAFE_PROGRAMS = new Set([
  "cat",
  "cd",
  "cut",
  "echo",
  "expr",
  "false",
  "grep",
  "head",
  "id",
  "ls",
  "nl",
  "paste",
  "pwd",
  "rev",
  "seq",
  "stat",
  "tail",
  "tr",
  "true",
  "uname",
  "uniq",
  "wc",
  "which",
  "whoami",
]);

const FIND_WRITERS = new Set([
  "-exec",
  "-execdir",
  "-ok",
  "-okdir",
  "-delete",
  "-fls",
  "-fprint",
  "-fprint0",
  "-fprintf",
]);
const RG_RUNNERS = ["--pre", "--hostname-bin", "--search-zip", "-z"];
const GIT_READERS = new Set(["status", "log", "diff", "show"]);

function isSafeCommand(words: string[]): boolean {
  const [program, ...rest] = words;
  if (SAFE_PROGRAMS.has(program)) return true;
  switch (program) {
    case "find":
      return !rest.some((word) => FIND_WRITERS.has(word));
    case "rg":
      return !rest.some((word) =>
        RG_RUNNERS.some((flag) => word === flag || word.startsWith(`${flag}=`))
      );
    case "git":
      // `git branch` lists only without arguments; with them it creates or deletes.
      return GIT_READERS.has(rest[0]) || (rest[0] === "branch" && rest.length === 1);
    case "sed":
      return rest.length <= 3 && rest[0] === "-n" && /^\d+(,\d+)?p$/.test(rest[1] ?? "");
    default:
      return false;
  }
}

/**
 * A script split into its simple commands at `&&`, `||`, `;`, `|` and newlines, each as its
 * words; undefined when it uses anything else of the shell (expansions, redirections, subshells,
 * background jobs) — such a script is not known to be safe.
 */
export function splitSimpleCommands(script: string): string[][] | undefined {
  const commands: string[][] = [[]];
  let word: string | undefined;
  /** The last operator needs a command after it (`&&`, `||`, `|`). */
  let dangling = false;
  const endWord = () => {
    if (word !== undefined) commands[commands.length - 1].push(word);
    word = undefined;
  };
  const endCommand = () => {
    endWord();
    if (commands[commands.length - 1].length === 0) return false;
    commands.push([]);
    return true;
  };
  for (let i = 0; i < script.length; i++) {
    const c = script[i];
    if (c === "'") {
      const end = script.indexOf("'", i + 1);
      if (end < 0) return undefined;
      word = (word ?? "") + script.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let text = "";
      for (i++; i < script.length && script[i] !== '"'; i++) {
        if ("$`".includes(script[i])) return undefined;
        if (script[i] === "\\" && i + 1 < script.length) i++;
        text += script[i];
      }
      if (i >= script.length) return undefined;
      word = (word ?? "") + text;
    } else if (c === "\\") {
      if (i + 1 >= script.length) return undefined;
      word = (word ?? "") + script[++i];
    } else if (c === " " || c === "\t") {
      endWord();
    } else if (";\n|&".includes(c)) {
      const pair = script.slice(i, i + 2);
      if (c === "&" && pair !== "&&") return undefined; // a background job
      if (pair === "&&" || pair === "||") i++;
      if (!endCommand()) return undefined;
      dangling = c === "|" || c === "&";
    } else if ("$`<>(){}".includes(c)) {
      return undefined;
    } else {
      word = (word ?? "") + c;
    }
  }
  endWord();
  if (commands[commands.length - 1].length === 0) {
    if (dangling) return undefined;
    commands.pop();
  }
  return commands.length > 0 ? commands : undefined;
}

const SHELLS = new Set(["bash", "sh", "zsh", "dash"]);

/** True when `argv` only reads: a safe program, or a shell script made only of safe commands. */
export function isKnownSafeCommand(argv: string[]): boolean {
  if (argv.length === 3 && SHELLS.has(basename(argv[0])) && ["-c", "-lc"].includes(argv[1])) {
    const commands = splitSimpleCommands(argv[2]);
    return commands !== undefined && commands.every(isSafeCommand);
  }
  return argv.length > 0 && isSafeCommand(argv);
}
