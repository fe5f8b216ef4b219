// `tscodex exec`: one non-interactive turn. Progress goes to stderr, the final message to stdout.
import { Buffer } from "node:buffer";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import process from "node:process";
import { type AgentEvent, TurnInterruptedError } from "../agent/mod.ts";
import { openAgentSession } from "./setup.ts";

export interface ExecOptions {
  skipGitRepoCheck?: boolean;
  cd?: string;
  model?: string;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

function insideGitRepo(dir: string): boolean {
  for (let current = resolve(dir);; current = dirname(current)) {
    if (existsSync(join(current, ".git"))) return true;
    if (dirname(current) === current) return false;
  }
}

async function readStdin(): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Uint8Array);
  return new TextDecoder().decode(Buffer.concat(chunks));
}

/** The prompt from argv, or from stdin when it is `-` or absent and stdin is not a terminal. */
export async function resolvePrompt(prompt: string | undefined): Promise<string> {
  if (prompt !== undefined && prompt !== "-") return prompt;
  if (prompt === "-" || !process.stdin.isTTY) {
    const text = (await readStdin()).trim();
    if (text) return text;
  }
  throw new UsageError("no prompt given: pass it as an argument, or pipe it on stdin with `-`");
}

function renderProgress(event: AgentEvent): void {
  const err = process.stderr;
  switch (event.type) {
    case "tool_started":
      if (event.call.type === "function_call" && event.call.name === "exec_command") {
        const args = JSON.parse(event.call.arguments || "{}") as { cmd?: string };
        err.write(`exec ${args.cmd ?? ""}\n`);
      } else {
        err.write(`tool ${event.call.name}\n`);
      }
      break;
    case "tool_completed": {
      const text = typeof event.output.output === "string" ? event.output.output : "";
      const code = /Process exited with code (-?\d+)/.exec(text)?.[1];
      err.write(code === undefined ? `  done\n` : `  exited ${code}\n`);
      break;
    }
    case "item_completed":
      if (event.item.type === "reasoning") {
        const summary = (event.item.summary as Array<{ text: string }> | undefined)?.map((s) =>
          s.text
        ).join(" ");
        if (summary) err.write(`thinking: ${summary}\n`);
      }
      break;
    case "reconnecting":
      err.write(`Reconnecting... ${event.attempt}/${event.maxRetries} (${event.error})\n`);
      break;
    case "turn_failed":
      break;
    default:
      break;
  }
}

export async function runExec(
  promptArg: string | undefined,
  options: ExecOptions,
): Promise<number> {
  if (options.cd) {
    try {
      process.chdir(options.cd);
    } catch (err) {
      throw new UsageError(`cannot change to directory ${options.cd}: ${(err as Error).message}`);
    }
  }
  const cwd = process.cwd();
  if (!options.skipGitRepoCheck && !insideGitRepo(cwd)) {
    process.stderr.write(
      "Not inside a trusted directory and --skip-git-repo-check was not specified.\n",
    );
    return EXIT_FAILED;
  }
  const prompt = await resolvePrompt(promptArg);
  const session = await openAgentSession({
    cwd,
    model: options.model,
    originator: "codex_exec",
    onEvent: renderProgress,
    notice: (text) => process.stderr.write(text + "\n"),
  });
  const { agent } = session;
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.on("SIGINT", onSigint);
  try {
    const result = await agent.runTurn([prompt], abort.signal);
    if (result.lastMessage !== null) process.stdout.write(result.lastMessage + "\n");
    return EXIT_OK;
  } catch (err) {
    if (err instanceof TurnInterruptedError) {
      process.stderr.write("Interrupted.\n");
      return EXIT_INTERRUPTED;
    }
    process.stderr.write(`Error: ${(err as Error).message}\n`);
    return EXIT_FAILED;
  } finally {
    process.off("SIGINT", onSigint);
    await session.close();
  }
}
