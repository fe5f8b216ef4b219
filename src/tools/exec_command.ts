// exec_command and write_stdin (upstream's "unified exec"): a command that may outlive one call,
// polled and fed by session id. Parameters, clamps, error texts and the reply framing follow
// upstream 0.115.0 as recorded in captures (see the tests for the exact lines).
import { resolve } from "node:path";
import { z } from "zod";
import { describeFsError } from "./fs_errors.ts";
import {
  EXEC_ENV,
  type ExecSession,
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
import { approxTokenCount, truncateMiddle } from "./truncate.ts";
import { escalationRefusal, REJECTED_BY_USER } from "./approvals.ts";
import { type GatedCommand, runGated } from "./gated_command.ts";
import { randomHex } from "../protocol/mod.ts";
import type { ApplyPatchOptions } from "./apply_patch.ts";
import { patchInvocation, runPatchCommand } from "./patch_command.ts";

/** A refusal by the user, as upstream's unified exec reports it. */
const REJECTED = `Rejected(${JSON.stringify(REJECTED_BY_USER)})`;

// The CLI shows commands and the user's shell as these tools run them.
export { defaultShell, resolveShell, shellArgv } from "./processes.ts";

export const DEFAULT_EXEC_YIELD_MS = 10_000;
export const DEFAULT_WRITE_YIELD_MS = 250;
export const MIN_YIELD_MS = 250;
export const MAX_YIELD_MS = 30_000;
/** An empty write_stdin is a poll for a background job: it waits at least this long. */
export const MIN_EMPTY_POLL_MS = 5_000;
export const MAX_EMPTY_POLL_MS = 300_000;
export const DEFAULT_EXEC_MAX_OUTPUT_TOKENS = 10_000;
/** A command that ends this soon after starting is reported as finished, with no session id. */
const STARTUP_EXIT_WAIT_MS = 150;
/** After writing to a PTY, the program gets this long to react before the clock starts. */
const AFTER_WRITE_PAUSE_MS = 100;

const EXEC_DESCRIPTION =
  "Start a shell command in the workspace and return what it prints within yield_time_ms. A " +
  "command still running by then keeps going in the background: the reply gives its session " +
  "ID, for write_stdin to poll or (with tty) to type into.";

const WRITE_STDIN_DESCRIPTION =
  "Type characters into a command started by exec_command with tty, or send an empty string " +
  "to wait for more of its output; returns what it printed meanwhile.";

const MAX_OUTPUT_TOKENS_TEXT = "Cap on the tokens of output returned; the middle is cut beyond it.";
const YIELD_TEXT = "Milliseconds to wait for output before replying.";

/** Approval fields every command tool declares (upstream's names); see approvals.ts. */
export const justificationField = z.string().describe(
  "With require_escalated only: a one-line question asking the user to approve the command.",
).optional();
export const prefixRuleField = z.array(z.string()).describe(
  "With require_escalated only: a command prefix the user could approve for later calls.",
).optional();
export const sandboxPermissionsField = z.string().describe(
  'Sandbox permissions: "use_default" (the default) or "require_escalated" to ask to run ' +
    "outside the sandbox.",
).optional();

const ExecParams = z.strictObject({
  cmd: z.string().describe("The command line to run."),
  justification: justificationField,
  login: z.boolean().describe("Start the shell as a login shell (-lc); true by default.")
    .optional(),
  max_output_tokens: z.number().describe(MAX_OUTPUT_TOKENS_TEXT).optional(),
  prefix_rule: prefixRuleField,
  sandbox_permissions: sandboxPermissionsField,
  shell: z.string().describe("Shell program to run the command with; the user's by default.")
    .optional(),
  tty: z.boolean().describe(
    "Run on a pseudo-terminal, so the program sees a terminal and write_stdin can type into " +
      "it; false (plain pipes, no stdin) by default.",
  ).optional(),
  workdir: z.string().describe("Working directory; the turn's directory by default.").optional(),
  yield_time_ms: z.number().describe(YIELD_TEXT).optional(),
});

const WriteStdinParams = z.strictObject({
  chars: z.string().describe("Characters to type; empty to just wait for output.").optional(),
  max_output_tokens: z.number().describe(MAX_OUTPUT_TOKENS_TEXT).optional(),
  session_id: z.number().describe("The session ID an exec_command reply gave."),
  yield_time_ms: z.number().describe(YIELD_TEXT).optional(),
});

/** Upstream's framing of a command that did not run (`inner` is a Rust Debug rendering). */
function processError(display: string, inner: string): string {
  return `exec_command failed for \`${display}\`: CreateProcess { message: ${
    JSON.stringify(inner)
  } }`;
}

/** A string as Rust's Debug prints it, which is how upstream shows text inside its errors. */
function rustDebug(text: string): string {
  // JSON's escapes are Rust's, except that Rust writes other control characters as \u{1b}.
  const codes: Record<string, string> = { b: "8", f: "c" };
  return JSON.stringify(text).replace(
    /\\(u00([0-9a-f]{2})|[bf]|.)/g,
    (escape, what: string, hex?: string) =>
      hex ? `\\u{${hex.replace(/^0/, "")}}` : codes[what] ? `\\u{${codes[what]}}` : escape,
  );
}

function createProcessError(display: string, reason: string): string {
  return processError(
    display,
    `Rejected(${rustDebug(`Failed to create unified exec process: ${reason}`)})`,
  );
}

/**
 * What upstream 0.115.0 answers when a command exited and the sandbox seems to have stopped it
 * (pipes and terminals alike, as recorded): its output as a Rust Debug rendering, both streams
 * merged into stderr.
 */
function sandboxDeniedError(display: string, exitCode: number, output: string): string {
  const stream = (text: string) =>
    `StreamOutput { text: ${rustDebug(text)}, truncated_after_lines: None }`;
  return `exec_command failed for \`${display}\`: SandboxDenied { message: ${
    rustDebug(output)
  }, output: ExecToolCallOutput { exit_code: ${exitCode}, stdout: ${stream("")}, stderr: ${
    stream(output)
  }, aggregated_output: ${stream(output)}, duration: 0ns, timed_out: false } }`;
}

export interface ExecReply {
  /** The `Command:` line: the argv as upstream prints it. */
  command: string;
  /** What the command printed in this read, decoded once. */
  output: string;
  wallMs: number;
  /** Set while the process runs on. */
  sessionId?: number;
  /** Set once it has exited. */
  exitCode?: number;
  maxOutputTokens?: number;
}

/** The parts of a reply beyond the process's facts: its chunk id, token count and (cut) body. */
function replyFields(reply: ExecReply) {
  return {
    chunkId: randomHex(3),
    originalTokenCount: approxTokenCount(reply.output),
    body: truncateMiddle(reply.output, reply.maxOutputTokens ?? DEFAULT_EXEC_MAX_OUTPUT_TOKENS),
  };
}

/** The reply text, line for line as upstream 0.115.0 frames it. */
export function formatExecOutput(reply: ExecReply, fields = replyFields(reply)): string {
  const lines = [
    `Command: ${reply.command}`,
    `Chunk ID: ${fields.chunkId}`,
    `Wall time: ${(reply.wallMs / 1000).toFixed(4)} seconds`,
  ];
  if (reply.exitCode !== undefined) lines.push(`Process exited with code ${reply.exitCode}`);
  if (reply.sessionId !== undefined) {
    lines.push(`Process running with session ID ${reply.sessionId}`);
  }
  lines.push(`Original token count: ${fields.originalTokenCount}`, "Output:");
  return lines.join("\n") + "\n" + fields.body;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((done) => {
    const timer = setTimeout(finish, ms);
    signal.addEventListener("abort", finish, { once: true });
    function finish() {
      clearTimeout(timer);
      signal.removeEventListener("abort", finish);
      done();
    }
  });
}

interface Read {
  output: string;
  wallMs: number;
}

/**
 * Reads what the session prints until `yieldMs` has passed from now or it exits. An interrupt
 * (before or during the wait) ends the wait at once, kills the process group and surfaces as an
 * abort, which the registry reports to the model.
 */
async function readAfterYield(
  processes: ProcessManager,
  session: ExecSession,
  yieldMs: number,
  signal: AbortSignal,
): Promise<Read> {
  const started = performance.now();
  const output = new TextDecoder().decode(await session.collect(started + yieldMs, signal));
  const wallMs = performance.now() - started;
  if (signal.aborted) {
    session.kill();
    await session.exited;
    processes.release(session);
    throw signal.reason ?? new Error("aborted");
  }
  processes.release(session);
  return { output, wallMs };
}

/** What a read of `session` did, for the UI (and for code cells' structured values). */
function commandMetadata(
  session: ExecSession,
  read: Read,
  reply?: CommandMetadata["reply"],
): CommandMetadata {
  return {
    kind: "command",
    command: shellJoin(session.command),
    cwd: session.cwd,
    output: read.output,
    wallMs: read.wallMs,
    ...(session.hasExited ? { exitCode: session.exitCode ?? -1 } : {}),
    ...(reply ? { reply } : {}),
  };
}

/** The reply the model reads, and the facts beside it. */
function frameReply(
  session: ExecSession,
  read: Read,
  maxOutputTokens: number | undefined,
  options: { alwaysNameSession?: boolean } = {},
): ToolResult {
  const reply: ExecReply = {
    command: shellJoin(session.command),
    ...read,
    maxOutputTokens,
    ...(session.hasExited ? { exitCode: session.exitCode ?? -1 } : { sessionId: session.id }),
  };
  const fields = replyFields(reply);
  const metadata = commandMetadata(session, read, fields);
  // write_stdin's item is found by the session it addressed, also once that has exited.
  if (options.alwaysNameSession || !session.hasExited) metadata.sessionId = session.id;
  return { output: formatExecOutput(reply, fields), metadata };
}

/** Tells the UI that the command is running, once it is. */
async function announceStart(session: ExecSession, ctx: ToolContext): Promise<void> {
  if (!await session.spawned) return;
  ctx.onEvent?.({
    type: "command_started",
    callId: ctx.callId,
    command: shellJoin(session.command),
    cwd: session.cwd,
    startedAt: session.startedAt,
  });
}

export function execCommandTools(
  processes: ProcessManager,
  patchOptions: ApplyPatchOptions = {},
): ToolDef[] {
  return [
    defineFunctionTool({
      kind: "function",
      name: "exec_command",
      description: EXEC_DESCRIPTION,
      parameters: ExecParams,
      parallel: true,
      execute(args, ctx) {
        const argv = shellArgv(resolveShell(args.shell), args.login ?? true, args.cmd);
        const display = shellJoin(argv);
        const cwd = resolve(ctx.cwd, args.workdir ?? ".");
        const problem = workdirProblem(cwd);
        if (problem) {
          return Promise.resolve(createProcessError(display, describeFsError({ code: problem })));
        }
        const patch = patchInvocation(args.cmd);
        if (patch) return runPatchCommand("exec_command", patch, cwd, ctx, patchOptions);
        const yieldMs = clamp(
          args.yield_time_ms ?? DEFAULT_EXEC_YIELD_MS,
          MIN_YIELD_MS,
          MAX_YIELD_MS,
        );
        type Run = { session: ExecSession; read: Read };
        const command: GatedCommand<Run> = {
          request: {
            argv,
            cwd,
            escalated: args.sandbox_permissions === "require_escalated",
            justification: args.justification,
          },
          async run(sandbox) {
            let session: ExecSession;
            try {
              session = processes.start({
                argv,
                cwd,
                env: processes.environment(EXEC_ENV),
                tty: args.tty ?? false,
                sandbox,
              });
            } catch (err) {
              return createProcessError(display, (err as Error).message);
            }
            await announceStart(session, ctx);
            await session.settle(STARTUP_EXIT_WAIT_MS, ctx.signal);
            if (session.failure) {
              processes.release(session);
              return createProcessError(display, describeFsError(session.failure));
            }
            return { session, read: await readAfterYield(processes, session, yieldMs, ctx.signal) };
          },
          // Only a command that already ended can be judged (and rerun) as the sandbox's failure.
          ended: ({ session, read }) =>
            session.hasExited
              ? { exitCode: session.exitCode ?? -1, output: read.output }
              : undefined,
          refused: (policy) => escalationRefusal(policy, "cannot"),
          rejected: processError(display, REJECTED),
          denied: ({ session, read }) => ({
            output: sandboxDeniedError(display, session.exitCode ?? -1, read.output),
            metadata: commandMetadata(session, read),
          }),
          finished: ({ session, read }) => frameReply(session, read, args.max_output_tokens),
        };
        return runGated(command, ctx);
      },
    }),
    defineFunctionTool({
      kind: "function",
      name: "write_stdin",
      description: WRITE_STDIN_DESCRIPTION,
      parameters: WriteStdinParams,
      async execute(args, ctx) {
        const session = processes.get(args.session_id);
        if (!session) return `write_stdin failed: Unknown process id ${args.session_id}`;
        const chars = args.chars ?? "";
        if (chars !== "") {
          if (!session.tty) {
            return "write_stdin failed: stdin is closed for this session; rerun exec_command " +
              "with tty=true to keep stdin open";
          }
          session.write(chars);
          await pause(AFTER_WRITE_PAUSE_MS, ctx.signal);
        }
        const requested = Math.max(args.yield_time_ms ?? DEFAULT_WRITE_YIELD_MS, MIN_YIELD_MS);
        const yieldMs = chars === ""
          ? clamp(requested, MIN_EMPTY_POLL_MS, MAX_EMPTY_POLL_MS)
          : Math.min(requested, MAX_YIELD_MS);
        const read = await readAfterYield(processes, session, yieldMs, ctx.signal);
        return frameReply(session, read, args.max_output_tokens, { alwaysNameSession: true });
      },
    }),
  ];
}
