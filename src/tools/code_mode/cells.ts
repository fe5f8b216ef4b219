// Code cells on the agent's side: each `exec` cell is a child process running runtime.ts, spoken
// to over NDJSON on stdio. The cell's `tools.<name>(args)` calls are run here through the tool
// registry (so they get the same validation, sandbox and truncation as the model's own calls);
// its output accumulates until an `exec` or `exec_wait` call collects it. A cell that never
// returns is killed, not asked: the process boundary is what makes termination certain.
import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import { scriptCommand } from "../../platform/mod.ts";
import { sandboxedArgv, scopeOf } from "../sandbox.ts";
import type { ContentPart, ToolCallItem, ToolOutput } from "../../protocol/mod.ts";
import type { ToolContext, ToolRegistry, ToolRun } from "../registry.ts";
import { truncateMiddle } from "../truncate.ts";
import { CellMessage, type HostMessage } from "./protocol.ts";

/** node:readline loads when a cell runs, not with the rest of the program. */
const readline = () => process.getBuiltinModule("node:readline");

/** The hidden CLI subcommand a compiled binary runs a cell with (see src/cli/main.ts). */
export const CODE_CELL_SUBCOMMAND = "__code-cell";

/** The tools a cell cannot call: the code-mode tools themselves. */
export const CODE_MODE_TOOLS = new Set(["exec", "exec_wait"]);

export type CellState = "running" | "completed" | "failed" | "terminated";

const STDERR_KEPT = 4_000;

/**
 * exec_command and write_stdin replies as the structured value upstream hands scripts:
 * `{chunk_id, wall_time_seconds, exit_code | session_id, original_token_count, output}`, built
 * from the call's metadata. Any other reply reaches the script as its text.
 */
export function scriptValue(run: ToolRun): unknown {
  const { metadata } = run;
  if (metadata?.kind !== "command" || !metadata.reply) return run.item.output;
  const { reply } = metadata;
  return {
    chunk_id: reply.chunkId,
    // As the reply's text rounds it.
    wall_time_seconds: Number((metadata.wallMs / 1000).toFixed(4)),
    ...(metadata.exitCode !== undefined
      ? { exit_code: metadata.exitCode }
      : { session_id: metadata.sessionId }),
    original_token_count: reply.originalTokenCount,
    output: reply.body,
  };
}

/** What a cell needs from the session: somewhere to keep stored values, a way to run tools. */
interface CellHost {
  store(key: string, value: unknown): void;
  call(name: string, args: unknown, callId: string, signal: AbortSignal): Promise<unknown>;
}

/** A running or finished cell: its process, its uncollected output and how it ended. */
export class Cell {
  state: CellState = "running";
  /** The script's uncaught error, or why the process died. */
  error?: string;
  readonly #child: ChildProcess;
  readonly #abort = new AbortController();
  readonly #exited: Promise<void>;
  #unread: ContentPart[] = [];
  #stderr = "";
  #wakers = new Set<() => void>();
  #nextCall = 0;
  readonly #host: CellHost;

  constructor(
    readonly id: string,
    command: string[],
    init: Extract<HostMessage, { type: "init" }>,
    host: CellHost,
    env: Record<string, string | undefined> = process.env,
  ) {
    this.#host = host;
    this.#child = spawn(command[0], command.slice(1), {
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...env, NO_COLOR: "1" },
    });
    this.#exited = new Promise((resolve) => {
      this.#child.on("close", (code, signal) => {
        if (this.state === "running") {
          this.state = "failed";
          const tail = this.#stderr.trim();
          this.error = `the cell's process ended unexpectedly (${signal ?? `exit code ${code}`})` +
            (tail ? `:\n${tail}` : "");
        }
        this.#abort.abort();
        this.#wake();
        resolve();
      });
    });
    this.#child.on("error", (err) => {
      this.#stderr += `\n${err.message}`;
    });
    this.#child.stderr!.on("data", (chunk) => {
      this.#stderr = (this.#stderr + String(chunk)).slice(-STDERR_KEPT);
    });
    // A cell that died early closes its stdin; the write error is reported through `close`.
    this.#child.stdin!.on("error", () => {});
    readline().createInterface({ input: this.#child.stdout!, crlfDelay: Infinity })
      .on("line", (line) => this.#receive(line));
    this.#send(init);
  }

  /** Settles once the process is gone and its pipes are closed. */
  get exited(): Promise<void> {
    return this.#exited;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  #send(message: HostMessage): void {
    if (this.#child.stdin?.writable) this.#child.stdin.write(JSON.stringify(message) + "\n");
  }

  #wake(): void {
    for (const wake of [...this.#wakers]) wake();
  }

  #receive(line: string): void {
    let parsed;
    try {
      parsed = CellMessage.safeParse(JSON.parse(line));
    } catch {
      parsed = undefined;
    }
    if (!parsed?.success) {
      this.#stderr = (this.#stderr + `\nunreadable message from the cell: ${line}`).slice(
        -STDERR_KEPT,
      );
      return;
    }
    const message = parsed.data;
    switch (message.type) {
      case "text":
        this.#unread.push({ type: "input_text", text: message.text });
        break;
      case "image":
        this.#unread.push({ type: "input_image", image_url: message.image_url });
        break;
      case "yield":
        this.#wake();
        break;
      case "store":
        this.#host.store(message.key, message.value);
        break;
      case "tool_call":
        this.#runTool(message.id, message.name, message.args);
        break;
      case "done":
        if (this.state !== "running") break;
        this.state = message.error === null ? "completed" : "failed";
        if (message.error !== null) this.error = message.error;
        this.#child.stdin?.end();
        this.#wake();
        break;
      default:
        message satisfies never;
    }
  }

  async #runTool(id: number, name: string, args: unknown): Promise<void> {
    const callId = `${this.id}.${++this.#nextCall}`;
    try {
      const result = await this.#host.call(name, args, callId, this.#abort.signal);
      this.#send({ type: "tool_result", id, ok: true, result });
    } catch (err) {
      this.#send({ type: "tool_result", id, ok: false, error: (err as Error).message });
    }
  }

  /** Resolves when the script ends or yields, after `ms`, or when `signal` aborts. */
  waitForOutput(ms: number, signal: AbortSignal): Promise<void> {
    if (this.state !== "running" || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wakers.delete(done);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wakers.add(done);
      signal.addEventListener("abort", done, { once: true });
    });
  }

  /** The output produced since the last call. */
  takeOutput(): ContentPart[] {
    return this.#unread.splice(0);
  }

  /** Kills the process (a busy loop never reads a polite request) and waits until it is gone. */
  async terminate(): Promise<void> {
    if (this.state === "running") {
      this.state = "terminated";
      this.#abort.abort();
      this.#child.kill("SIGKILL");
    }
    await this.#exited;
  }
}

/** Header, then the new output; texts over the budget are merged and cut in the middle. */
export function cellReply(
  cell: { id: string; state: CellState; error?: string },
  output: ContentPart[],
  wallMs: number,
  maxTokens: number,
): ToolOutput {
  const status = {
    running: `Script running with cell ID ${cell.id}`,
    completed: "Script completed",
    failed: "Script failed",
    terminated: "Script terminated",
  }[cell.state];
  const header = `${status}\nWall time ${(wallMs / 1000).toFixed(1)} seconds\nOutput:\n`;
  const texts = output.filter((part) => part.type === "input_text").map((p) => String(p.text));
  const joined = texts.join("\n");
  const fits = new TextEncoder().encode(joined).length <= maxTokens * 4;
  const parts: ContentPart[] = fits ? output : [
    { type: "input_text", text: truncateMiddle(joined, maxTokens) },
    ...output.filter((part) => part.type !== "input_text"),
  ];
  if (cell.state === "failed" && cell.error) {
    parts.push({ type: "input_text", text: `Script error:\n${cell.error}` });
  }
  return parts.length === 0 ? header : [{ type: "input_text", text: header }, ...parts];
}

export interface CodeModeOptions {
  /** The argv that runs a cell; the runtime script under this runtime by default. */
  command?: string[];
  /**
   * The environment a cell starts with — model-written code, so the same the model's commands
   * get (the shell environment policy); tscodex's own by default.
   */
  environment?: () => Record<string, string | undefined>;
}

/** The cells of one session and the values their scripts stored. */
export class CodeCells {
  readonly #cells = new Map<string, Cell>();
  /** Cells whose process may still be alive, released or not. */
  readonly #live = new Set<Cell>();
  readonly #stored: Record<string, unknown> = {};
  readonly #command: string[];
  readonly #environment: () => Record<string, string | undefined>;
  #nextId = 0;

  constructor(options: CodeModeOptions = {}) {
    this.#command = options.command ??
      scriptCommand(new URL("./runtime.ts", import.meta.url), CODE_CELL_SUBCOMMAND);
    this.#environment = options.environment ?? (() => process.env);
  }

  /** Starts `source`; its tool calls run through `registry` with the starting call's context. */
  start(source: string, registry: ToolRegistry, ctx: ToolContext): Cell {
    const id = String(++this.#nextId);
    const callable = registry.names.filter((name) => {
      const tool = registry.get(name);
      return !CODE_MODE_TOOLS.has(name) && tool?.kind !== "provider";
    }).sort();
    // A cell is model-written code: it runs in the same sandbox as the model's commands.
    const command = sandboxedArgv(this.#command, scopeOf(ctx), ctx.cwd);
    const cell = new Cell(id, command, {
      type: "init",
      source,
      stored: this.#stored,
      tools: callable.map((name) => ({ name, description: registry.get(name)!.description })),
    }, {
      store: (key, value) => {
        this.#stored[key] = value;
      },
      call: async (name, args, callId, signal) => {
        const tool = registry.get(name);
        if (!tool || !callable.includes(name)) throw new Error(`unknown tool: ${name}`);
        let call: ToolCallItem;
        if (tool.kind === "custom") {
          if (typeof args !== "string") return `tool \`${name}\` expects a string input`;
          call = { type: "custom_tool_call", call_id: callId, name, input: args };
        } else {
          if (args === null || typeof args !== "object" || Array.isArray(args)) {
            return `tool \`${name}\` expects a JSON object for arguments`;
          }
          call = { type: "function_call", call_id: callId, name, arguments: JSON.stringify(args) };
        }
        return scriptValue(await registry.execute(call, { ...ctx, callId, signal }));
      },
    }, this.#environment());
    this.#cells.set(id, cell);
    this.#live.add(cell);
    cell.exited.then(() => this.#live.delete(cell));
    return cell;
  }

  get(id: string): Cell | undefined {
    return this.#cells.get(id);
  }

  /** Forgets a finished cell once its end has been reported. */
  release(cell: Cell): void {
    if (cell.state !== "running") this.#cells.delete(cell.id);
  }

  /** Terminates every running cell and waits until no cell process is left. */
  async close(): Promise<void> {
    await Promise.all([...this.#live].map((cell) => cell.terminate()));
    this.#cells.clear();
  }
}
