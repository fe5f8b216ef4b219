// shell (an argv) and shell_command (a command line): one-shot commands with a timeout, the tools
// upstream 0.115.0 declares instead of exec_command when unified exec is disabled. Parameters and
// the reply framing (`Exit code:`, `Wall time:`, `Output:`) are upstream's, observed with
// `--disable unified_exec` for gpt-5.1-codex (shell_command) and gpt-4.1 (shell).
import { constants } from "node:os";
import { resolve } from "node:path";
import { z } from "zod";
import { justificationField, prefixRuleField, sandboxPermissionsField } from "./exec_command.ts";
import {
  osError,
  type ProcessManager,
  resolveShell,
  shellArgv,
  workdirProblem,
} from "./processes.ts";
import {
  type CommandMetadata,
  defineFunctionTool,
  type ToolContext,
  type ToolDef,
  type ToolResult,
} from "./registry.ts";
import { shellJoin } from "./shell_words.ts";
import { countLines, truncateText } from "./truncate.ts";
import { escalationRefusal, REJECTED_BY_USER } from "./approvals.ts";
import { type GatedCommand, runGated } from "./gated_command.ts";
import { type SandboxScope, SandboxUnavailableError } from "./sandbox.ts";
import type { ApplyPatchOptions } from "./apply_patch.ts";
import { patchInvocation, runPatchCommand } from "./patch_command.ts";

export const DEFAULT_SHELL_TIMEOUT_MS = 10_000;
/** Exit code reported for a command the timeout killed, as `timeout(1)` does. */
export const TIMEOUT_EXIT_CODE = 124;
/** The turn's truncation policy, which upstream applies to these outputs. */
const SHELL_OUTPUT_TOKENS = 10_000;
/** After the command exits, how long background children may keep the pipes open. */
const DRAIN_AFTER_EXIT_MS = 2_000;

const SHELL_DESCRIPTION = "Run a program with arguments (no shell unless you invoke one, e.g. " +
  '["bash", "-lc", "make test"]) and return its exit code and combined output. Set workdir ' +
  "rather than changing directory inside the command.";

const SHELL_COMMAND_DESCRIPTION =
  "Run a command line with the user's shell and return its exit code and combined output. Set " +
  "workdir rather than changing directory inside the command.";

const timeoutField = z.number().describe(
  `Kill the command after this many milliseconds; ${DEFAULT_SHELL_TIMEOUT_MS} by default.`,
).optional();
const workdirField = z.string().describe("Working directory; the turn's directory by default.")
  .optional();

const ShellParams = z.strictObject({
  command: z.array(z.string()).describe("The program and its arguments."),
  justification: justificationField,
  prefix_rule: prefixRuleField,
  sandbox_permissions: sandboxPermissionsField,
  timeout_ms: timeoutField,
  workdir: workdirField,
});

const ShellCommandParams = z.strictObject({
  command: z.string().describe("The command line, run by the user's shell."),
  justification: justificationField,
  login: z.boolean().describe("Start the shell as a login shell (-lc); true by default.")
    .optional(),
  prefix_rule: prefixRuleField,
  sandbox_permissions: sandboxPermissionsField,
  timeout_ms: timeoutField,
  workdir: workdirField,
});

/** Upstream's error text when the command could not run to an exit status. */
function executionError(detail: string): string {
  return `execution error: ${detail}`;
}

function ioError(code = "ENOENT"): string {
  const err = osError(code);
  return executionError(
    `Io(Os { code: ${err.errno}, kind: ${err.kind}, message: ${JSON.stringify(err.text)} })`,
  );
}

export interface ShellOutcome {
  exitCode: number;
  wallMs: number;
  output: string;
  timedOut: boolean;
}

/** The reply text as upstream frames it for models with freeform tools (gpt-5.1-codex). */
export function formatShellOutput(outcome: ShellOutcome): string {
  const content = outcome.timedOut
    ? `command timed out after ${Math.floor(outcome.wallMs)} milliseconds\n${outcome.output}`
    : outcome.output;
  const body = truncateText(content, SHELL_OUTPUT_TOKENS);
  const lines = [
    `Exit code: ${outcome.exitCode}`,
    `Wall time: ${Math.round(outcome.wallMs / 100) / 10} seconds`,
  ];
  // Upstream states the count only when the cut changed how many lines the body has, so a
  // single long line cut in the middle gets no count.
  const totalLines = countLines(content);
  if (totalLines !== countLines(body)) lines.push(`Total output lines: ${totalLines}`);
  lines.push("Output:", body);
  return lines.join("\n");
}

/** Approval fields of a call, as the model sent them. */
interface Escalation {
  sandbox_permissions?: string;
  justification?: string;
}

/** One finished (or timed-out) run, with what the UI needs of it. */
interface ShellRun extends ShellOutcome {
  command: string;
  cwd: string;
}

function finished(run: ShellRun): ToolResult {
  const metadata: CommandMetadata = {
    kind: "command",
    command: run.command,
    cwd: run.cwd,
    output: run.output,
    wallMs: run.wallMs,
    exitCode: run.exitCode,
  };
  return { output: formatShellOutput(run), metadata };
}

/**
 * Runs `argv` to its end or its timeout, whichever first; an interrupt kills it and throws. The
 * approval policy decides first whether it runs in the sandbox, outside it, or not at all.
 */
function runToCompletion(
  processes: ProcessManager,
  argv: string[],
  workdir: string | undefined,
  timeoutMs: number,
  ctx: ToolContext,
  escalation: Escalation = {},
): Promise<string | ToolResult> {
  const cwd = resolve(ctx.cwd, workdir ?? ".");
  const problem = workdirProblem(cwd);
  if (problem) return Promise.resolve(ioError(problem));
  const command: GatedCommand<ShellRun> = {
    request: {
      argv,
      cwd,
      escalated: escalation.sandbox_permissions === "require_escalated",
      justification: escalation.justification,
    },
    run: (sandbox) => runOnce(processes, { argv, cwd, timeoutMs, sandbox }, ctx),
    ended: (run) => run.timedOut ? undefined : run,
    refused: (policy) => escalationRefusal(policy, "should not"),
    rejected: REJECTED_BY_USER,
    // Upstream shows a denial as the plain output unless the policy offers to retry.
    denied: finished,
    finished,
  };
  return runGated(command, ctx);
}

/** One run of the command; a string is an error to hand back as is. */
async function runOnce(
  processes: ProcessManager,
  run: { argv: string[]; cwd: string; timeoutMs: number; sandbox?: SandboxScope },
  ctx: ToolContext,
): Promise<ShellRun | string> {
  const { argv, cwd, timeoutMs, sandbox } = run;
  const started = performance.now();
  let proc;
  try {
    proc = processes.spawnOnce({ argv, cwd, env: processes.environment(), tty: false, sandbox });
  } catch (err) {
    if (err instanceof SandboxUnavailableError) return executionError(err.message);
    throw err;
  }
  const command = shellJoin(argv);
  if (await proc.spawned) {
    ctx.onEvent?.({
      type: "command_started",
      callId: ctx.callId,
      command,
      cwd,
      startedAt: proc.startedAt,
    });
  }
  // An interrupt ends the wait at once, like the timeout; both kill the process group.
  const bytes = await proc.collect(started + timeoutMs, ctx.signal, DRAIN_AFTER_EXIT_MS);
  const timedOut = !proc.hasExited;
  if (timedOut || ctx.signal.aborted) {
    proc.kill();
    await proc.exited;
  }
  if (ctx.signal.aborted) throw ctx.signal.reason ?? new Error("aborted");
  if (proc.failure) return ioError(proc.failure.code);
  if (!timedOut && proc.exitSignal) {
    return executionError(`Sandbox(Signal(${constants.signals[proc.exitSignal]}))`);
  }
  return {
    command,
    cwd,
    exitCode: timedOut ? TIMEOUT_EXIT_CODE : proc.exitCode ?? -1,
    wallMs: performance.now() - started,
    output: new TextDecoder().decode(bytes),
    timedOut,
  };
}

export function shellTools(
  processes: ProcessManager,
  patchOptions: ApplyPatchOptions = {},
): ToolDef[] {
  return [
    defineFunctionTool({
      kind: "function",
      name: "shell",
      description: SHELL_DESCRIPTION,
      parameters: ShellParams,
      parallel: true,
      execute(args, ctx) {
        if (args.command.length === 0) return Promise.resolve("command args are empty");
        return runToCompletion(
          processes,
          args.command,
          args.workdir,
          args.timeout_ms ?? DEFAULT_SHELL_TIMEOUT_MS,
          ctx,
          args,
        );
      },
    }),
    defineFunctionTool({
      kind: "function",
      name: "shell_command",
      description: SHELL_COMMAND_DESCRIPTION,
      parameters: ShellCommandParams,
      parallel: true,
      execute(args, ctx) {
        const patch = patchInvocation(args.command);
        if (patch) {
          const folder = resolve(ctx.cwd, args.workdir ?? ".");
          return runPatchCommand("shell_command", patch, folder, ctx, patchOptions);
        }
        return runToCompletion(
          processes,
          shellArgv(resolveShell(), args.login ?? true, args.command),
          args.workdir,
          args.timeout_ms ?? DEFAULT_SHELL_TIMEOUT_MS,
          ctx,
          args,
        );
      },
    }),
  ];
}
