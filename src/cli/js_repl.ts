// `tscodex js`: a JavaScript REPL with the agent in it. `.agent <prompt>` asks the agent, which can
// read and run code in this live REPL through its `repl_eval` tool — the variables the user made
// are there, and what the agent defines stays for the user (as the seed's IPython `@agent`). The
// agent is also the REPL variable `agent`, for `await agent.ask("…")`.
//
// Code the model writes runs in this process, outside any sandbox, so unless the session has full
// access (`--yolo`, `-s danger-full-access`) every evaluation waits for the user's yes.
import repl from "node:repl";
import vm from "node:vm";
import { Console } from "node:console";
import { Writable } from "node:stream";
import process from "node:process";
import { inspect } from "node:util";
import { TurnInterruptedError } from "../agent/mod.ts";
import type { SandboxMode } from "../config/mod.ts";
import { type Agent, type AgentEvent, openAgent } from "./embedded_agent.ts";
import { enterFolder, execPermissions, EXIT_OK } from "./exec.ts";
import { toolLine } from "./repl/tool_lines.ts";
import {
  type BackendFlags,
  backendSwitches,
  type SessionFlags,
  sessionFromFlags,
} from "./setup/mod.ts";
import { defineFunctionTool, type ToolDef } from "../tools/mod.ts";
import { z } from "zod";

export interface JsReplOptions extends BackendFlags, SessionFlags {
  cd?: string;
  sandbox?: SandboxMode;
  fullAuto?: boolean;
  dangerouslyBypassApprovalsAndSandbox?: boolean;
}

/** The longest text of one evaluation the model gets back; the rest is cut in the middle. */
const REPLY_LIMIT = 20_000;

const ReplEvalArgs = z.object({
  code: z.string().describe(
    "JavaScript to run in the user's REPL; its last expression's value is returned",
  ),
});

const DESCRIPTION =
  "Run JavaScript in the user's live `tscodex js` session and get back what it printed and the " +
  "value of its last expression. Variables and functions the user made there are in scope; what " +
  "you define stays for the user. Use it to look at the user's data and to try code out. A " +
  "returned promise is awaited; `await` itself only works inside an async function.";

/** Writes nothing anywhere: a Console whose output is kept in `text`. */
class Capture {
  text = "";
  readonly console: Console;

  constructor() {
    const sink = new Writable({
      write: (chunk, _encoding, done) => {
        this.text += String(chunk);
        done();
      },
    });
    this.console = new Console({ stdout: sink, stderr: sink, colorMode: false });
  }
}

function clip(text: string): string {
  if (text.length <= REPLY_LIMIT) return text;
  const half = Math.floor(REPLY_LIMIT / 2);
  return `${text.slice(0, half)}\n…[${text.length - REPLY_LIMIT} characters cut]…\n${
    text.slice(-half)
  }`;
}

/**
 * Runs `code` in the REPL's context (so it sees the user's variables and leaves its own for the
 * user) and awaits a promise it returns. Not through the REPL's own evaluator: Node's and Bun's
 * hand its errors to the REPL's printer rather than to the caller.
 */
async function evaluate(server: repl.REPLServer, code: string): Promise<unknown> {
  return await vm.runInContext(code, server.context, { filename: "repl_eval" });
}

/** An error as the model should read it; one from the REPL's realm is no `instanceof Error` here. */
function errorText(err: unknown): string {
  const { name, message } = (err ?? {}) as { name?: unknown; message?: unknown };
  if (typeof name === "string" && typeof message === "string") return `${name}: ${message}`;
  return `thrown: ${inspect(err, { depth: 2 })}`;
}

/**
 * The `repl_eval` tool over `server`; `approve` says whether the user lets the model run the code
 * (it asks, or knows the session has full access).
 */
function replEvalTool(
  server: () => repl.REPLServer,
  approve: (code: string) => Promise<boolean>,
): ToolDef {
  return defineFunctionTool({
    kind: "function",
    name: "repl_eval",
    description: DESCRIPTION,
    parameters: ReplEvalArgs,
    async execute(args) {
      if (!(await approve(args.code))) return "The user did not let this code run.";
      const capture = new Capture();
      const context = server().context as Record<string, unknown>;
      const ownConsole = Object.getOwnPropertyDescriptor(context, "console");
      context.console = capture.console;
      let reply: Record<string, string>;
      try {
        const value = await evaluate(server(), args.code);
        reply = { output: capture.text, result: inspect(value, { depth: 4, colors: false }) };
      } catch (err) {
        reply = { output: capture.text, error: errorText(err) };
      } finally {
        if (ownConsole) Object.defineProperty(context, "console", ownConsole);
        else delete context.console;
      }
      if (!reply.output) delete reply.output;
      return clip(JSON.stringify(reply));
    },
  });
}

/** The agent's events as lines above the prompt: the answer as it streams, one line per tool. */
function eventPrinter(write: (text: string) => void) {
  let streaming = false;
  const endStream = () => {
    if (streaming) write("\n");
    streaming = false;
  };
  return (event: AgentEvent) => {
    switch (event.type) {
      case "text_delta":
        streaming = true;
        write(event.delta);
        break;
      case "tool_completed": {
        endStream();
        const { output } = event.output;
        const text = typeof output === "string" ? output : "(content items)";
        write(`${toolLine(event.call, text)}\n`);
        break;
      }
      case "reconnecting":
        endStream();
        write(`[status] reconnecting ${event.attempt}/${event.maxRetries}: ${event.error}\n`);
        break;
      case "turn_completed":
      case "turn_failed":
      case "turn_interrupted":
        endStream();
        break;
    }
  };
}

export async function runJsRepl(options: JsReplOptions): Promise<number> {
  enterFolder(options.cd);
  // As exec's: nobody answers command approvals; the REPL asks only about its own evaluations.
  const permissions = execPermissions(options);
  const backend = backendSwitches(options);
  const out = process.stdout;
  const write = (text: string) => out.write(text);
  // The REPL starts once the agent is open (a configuration error ends the command first).
  const live: { server?: repl.REPLServer } = {};
  // Full access means no questions; "always" makes it so for the rest of the session.
  let trusted = permissions.sandbox === "danger-full-access";
  const approve = (code: string) =>
    trusted ? Promise.resolve(true) : new Promise<boolean>((resolve) => {
      write(`\nThe agent wants to run in this REPL:\n${code.replace(/^/gm, "  ")}\n`);
      live.server!.question("Run it? [y]es / [a]lways this session / [n]o: ", (answer) => {
        const word = answer.trim().toLowerCase();
        if (word === "a" || word === "always") trusted = true;
        resolve(trusted || word === "y" || word === "yes");
      });
    });
  const tool = replEvalTool(() => live.server!, approve);
  const agent: Agent = await openAgent({
    ...sessionFromFlags(options),
    backend,
    sandboxMode: permissions.sandbox,
    approvalPolicy: permissions.approval,
    extraTools: [tool],
    originator: "codex-tui",
    source: "cli",
    notice: (text) => write(`${text}\n`),
  });
  const show = eventPrinter(write);
  agent.on(show);
  write(
    `tscodex js: JavaScript with an agent (model ${agent.model}). ` +
      `.agent <prompt> asks it; \`agent\` is here too. .help lists the commands.\n`,
  );
  let turn: AbortController | undefined;
  const server = repl.start({
    prompt: "js> ",
    input: process.stdin,
    output: out,
    useColors: out.isTTY,
    // An inline completion preview would be taken for the answer to "Run it?".
    preview: false,
  });
  live.server = server;
  server.context.agent = agent;
  server.defineCommand("agent", {
    help: "Ask the agent; it can read and run code in this REPL",
    action(prompt: string) {
      this.clearBufferedCommand();
      if (!prompt.trim()) {
        write("Usage: .agent <prompt>\n");
        this.displayPrompt();
        return;
      }
      if (turn) {
        write("The agent is still working; wait for it, or press Ctrl-C to stop it.\n");
        this.displayPrompt();
        return;
      }
      turn = new AbortController();
      agent.ask(prompt, { signal: turn.signal }).catch((err) => {
        write(
          err instanceof TurnInterruptedError
            ? "Interrupted.\n"
            : `Error: ${(err as Error).message}\n`,
        );
      }).finally(() => {
        turn = undefined;
        this.displayPrompt();
      });
    },
  });
  // Ctrl-C while the agent works stops its turn; otherwise the REPL's own handling applies.
  server.on("SIGINT", () => turn?.abort());
  await new Promise<void>((resolve) => server.once("exit", resolve));
  turn?.abort();
  await agent.close();
  return EXIT_OK;
}
