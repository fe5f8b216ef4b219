// exec_command and write_stdin: commands that may outlive one call, polled by session id.
import { randomBytes } from "node:crypto";
import process from "node:process";
import { z } from "zod";
import type { Collected, ProcessManager } from "./processes.ts";
import { defineFunctionTool, type ToolDef } from "./registry.ts";
import { approxTokenCount, truncateMiddle } from "./truncate.ts";

const EXEC_DESCRIPTION =
  "Run a shell command in the workspace and return what it printed. The command runs through " +
  "the user's shell; if it is still running when yield_time_ms elapses, the reply carries a " +
  "session ID that write_stdin can use to send input or collect more output.";

const WRITE_STDIN_DESCRIPTION =
  "Send characters to the standard input of a command started by exec_command, then return " +
  "the output it printed since the last read. Send an empty string to just poll for output.";

const ExecParams = z.object({
  cmd: z.string().describe("The shell command to run."),
  workdir: z.string().optional().describe(
    "Directory to run in; defaults to the turn's working directory.",
  ),
  shell: z.string().optional().describe("Shell binary to use; defaults to the user's shell."),
  login: z.boolean().optional().describe("Run as a login shell (-lc). Defaults to true."),
  tty: z.boolean().optional().describe("Give the command a pseudo-terminal. Defaults to false."),
  yield_time_ms: z.number().optional().describe("How long to wait for output before replying."),
  max_output_tokens: z.number().optional().describe("Most tokens of output to return."),
});

const WriteStdinParams = z.object({
  session_id: z.number().describe("The session ID returned by exec_command."),
  chars: z.string().optional().describe("Characters to write; empty to poll."),
  yield_time_ms: z.number().optional().describe("How long to wait for output before replying."),
  max_output_tokens: z.number().optional().describe("Most tokens of output to return."),
});

export function defaultShell(): string {
  return process.env.SHELL || "/bin/bash";
}

/** The reply text: a header the model can parse, then the (possibly truncated) output. */
export function formatExecOutput(
  collected: Collected,
  sessionId: number,
  maxOutputTokens: number | undefined,
  command?: string,
): string {
  const lines: string[] = [];
  if (command !== undefined) lines.push(`Command: ${command}`);
  lines.push(`Chunk ID: ${randomBytes(3).toString("hex")}`);
  lines.push(`Wall time: ${(collected.wallMs / 1000).toFixed(4)} seconds`);
  lines.push(
    collected.running
      ? `Process running with session ID ${sessionId}`
      : `Process exited with code ${collected.exitCode ?? -1}`,
  );
  lines.push(`Original token count: ${approxTokenCount(collected.output)}`);
  lines.push("Output:");
  return lines.join("\n") + "\n" + truncateMiddle(collected.output, maxOutputTokens ?? 10_000);
}

export function execCommandTools(processes: ProcessManager): ToolDef[] {
  return [
    defineFunctionTool({
      kind: "function",
      name: "exec_command",
      description: EXEC_DESCRIPTION,
      parameters: ExecParams,
      async execute(args, ctx) {
        const session = processes.start({
          command: args.cmd,
          shell: args.shell ?? defaultShell(),
          login: args.login ?? true,
          cwd: args.workdir ?? ctx.cwd,
        });
        const onAbort = () => session.kill();
        ctx.signal.addEventListener("abort", onAbort, { once: true });
        try {
          const collected = await session.collect(args.yield_time_ms ?? 10_000, ctx.signal);
          processes.release(session);
          return formatExecOutput(collected, session.id, args.max_output_tokens, args.cmd);
        } finally {
          ctx.signal.removeEventListener("abort", onAbort);
        }
      },
    }),
    defineFunctionTool({
      kind: "function",
      name: "write_stdin",
      description: WRITE_STDIN_DESCRIPTION,
      parameters: WriteStdinParams,
      async execute(args, ctx) {
        const session = processes.get(args.session_id);
        if (!session) return `Error: session_id ${args.session_id} is not running.`;
        if (args.chars) session.write(args.chars);
        const collected = await session.collect(args.yield_time_ms ?? 250, ctx.signal);
        processes.release(session);
        return formatExecOutput(collected, session.id, args.max_output_tokens);
      },
    }),
  ];
}
