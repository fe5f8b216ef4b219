// The interactive REPL: a line editor over the submission queue. Typing while a turn runs steers
// it; `/queue` waits for a turn of its own; Ctrl-C interrupts the running turn, and exits when
// nothing runs.
import process from "node:process";
import { createInterface, type Interface } from "node:readline";
import { type AgentEvent, SubmissionQueue, TurnInterruptedError } from "../agent/mod.ts";
import { type MessageItem, messageText } from "../protocol/mod.ts";
import { openAgentSession } from "./setup.ts";
import { VERSION } from "./version.ts";

const HELP = [
  "Type a message and press Enter. While a turn runs, what you type steers it.",
  "  /queue <message>  run the message as its own turn after the current one",
  "  /interrupt        stop the running turn (Ctrl-C does the same)",
  "  /compact          summarise the conversation to free context",
  "  /history          show the conversation so far",
  "  /model [name]     show or change the model",
  "  /exit, /quit      leave (Ctrl-D does the same)",
].join("\n");

interface Styles {
  dim(text: string): string;
  bold(text: string): string;
  yellow(text: string): string;
  red(text: string): string;
}

function styles(enabled: boolean): Styles {
  const wrap = (open: number, close: number) => (text: string) =>
    enabled ? `\x1b[${open}m${text}\x1b[${close}m` : text;
  return { dim: wrap(2, 22), bold: wrap(1, 22), yellow: wrap(33, 39), red: wrap(31, 39) };
}

/** One line per tool call: what ran and how it ended. */
function toolSummary(event: Extract<AgentEvent, { type: "tool_completed" }>): string {
  const { call, output } = event;
  const text = typeof output.output === "string" ? output.output : "(content items)";
  if (call.type === "function_call" && call.name === "exec_command") {
    const cmd = (JSON.parse(call.arguments || "{}") as { cmd?: string }).cmd ?? "";
    const status = /Process exited with code (-?\d+)/.exec(text)?.[1];
    const session = /Process running with session ID (\d+)/.exec(text)?.[1];
    return `[exec] ${cmd} -> ${
      status !== undefined ? `exit ${status}` : `running (session ${session})`
    }`;
  }
  const firstLine = text.split("\n").find((line) => line.trim() !== "") ?? "";
  return `[${call.name}] ${firstLine.slice(0, 96)}`;
}

export async function runRepl(
  initialPrompt: string | undefined,
  options: { model?: string },
): Promise<number> {
  const out = process.stdout;
  const s = styles(out.isTTY === true && !process.env.NO_COLOR);
  let streaming = false;
  const rl: Interface = createInterface({
    input: process.stdin,
    output: out,
    prompt: "tscodex> ",
    terminal: process.stdin.isTTY,
  });
  const endStream = () => {
    if (streaming) out.write("\n");
    streaming = false;
  };
  const onEvent = (event: AgentEvent) => {
    switch (event.type) {
      case "text_delta":
        if (!streaming) out.write(s.bold("codex> "));
        streaming = true;
        out.write(event.delta);
        break;
      case "item_completed":
        if (event.item.type === "message") endStream();
        if (event.item.type === "reasoning") {
          const summary = (event.item.summary as Array<{ text: string }>).map((p) => p.text).join(
            " ",
          );
          if (summary) out.write(s.dim(`thinking: ${summary}`) + "\n");
        }
        break;
      case "tool_completed":
        endStream();
        out.write(s.yellow(toolSummary(event)) + "\n");
        break;
      case "steer_inserted":
        out.write(s.dim(`[steer] inserted: ${event.texts.join(" / ")}`) + "\n");
        break;
      case "reconnecting":
        out.write(
          s.dim(`Reconnecting... ${event.attempt}/${event.maxRetries} (${event.error})`) + "\n",
        );
        break;
      case "compaction_completed":
        out.write(s.dim(`[compact] history now ${event.history.length} items`) + "\n");
        break;
      case "turn_failed":
        endStream();
        out.write(s.red(`Error: ${event.error.message}`) + "\n");
        break;
      case "turn_interrupted":
        endStream();
        out.write(s.dim("[interrupted]") + "\n");
        break;
      case "turn_completed":
        endStream();
        rl.prompt(true);
        break;
    }
  };
  const session = await openAgentSession({
    cwd: process.cwd(),
    model: options.model,
    originator: "codex_cli_rs",
    source: "cli",
    onEvent,
    notice: (text) => out.write(s.dim(text) + "\n"),
  });
  const queue = new SubmissionQueue(session.agent);
  out.write(
    `${s.bold(`tscodex ${VERSION}`)} ${
      s.dim(`model ${session.agent.options.model}; /help for commands`)
    }\n`,
  );

  const submit = (text: string, mode: "steer" | "queue") => {
    queue.submit(text, mode).catch((err) => {
      if (!(err instanceof TurnInterruptedError)) return; // turn_failed already said it
    });
  };
  const handle = (line: string): boolean => {
    const text = line.trim();
    if (!text) return true;
    const [command, ...rest] = text.split(/\s+/);
    const argument = rest.join(" ");
    switch (command) {
      case "/exit":
      case "/quit":
        return false;
      case "/help":
        out.write(HELP + "\n");
        return true;
      case "/queue":
        if (argument) submit(argument, "queue");
        else out.write("Usage: /queue <message>\n");
        return true;
      case "/interrupt":
        queue.interrupt();
        return true;
      case "/model":
        if (argument && queue.busy) {
          out.write("A turn is running; change the model when it ends.\n");
        } else if (argument) session.agent.options.model = argument;
        out.write(`Current model: ${session.agent.options.model}\n`);
        return true;
      case "/history":
        for (const item of session.agent.history) {
          if (item.type !== "message") continue;
          const message = item as MessageItem;
          if (message.role === "developer") continue;
          out.write(
            `${message.role === "user" ? "U>" : "A>"} ${messageText(message).slice(0, 200)}\n`,
          );
        }
        return true;
      case "/compact":
        if (queue.busy) {
          out.write("A turn is running; compact when it ends.\n");
          return true;
        }
        session.agent.compact(new AbortController().signal).then(
          () => rl.prompt(),
          (err) => out.write(s.red(`Error: compaction failed: ${(err as Error).message}`) + "\n"),
        );
        return true;
      default:
        submit(text, "steer");
        return true;
    }
  };

  let leaving = false;
  let lastSigint = 0;
  rl.on("SIGINT", () => {
    if (queue.busy) {
      queue.interrupt();
      return;
    }
    const now = Date.now();
    if (now - lastSigint < 2000) {
      leaving = true;
      rl.close();
    }
    lastSigint = now;
    out.write(s.dim("\n(Ctrl-C again or /exit to leave)") + "\n");
    rl.prompt();
  });
  if (initialPrompt) handle(initialPrompt);
  rl.prompt();
  await new Promise<void>((resolve) => {
    rl.on("line", (line) => {
      if (!handle(line)) {
        leaving = true;
        rl.close();
      } else if (!queue.busy) rl.prompt();
    });
    rl.on("close", () => resolve());
  });
  // End of input (a pipe, Ctrl-D) lets the submitted turns finish; /exit and Ctrl-C do not.
  if (!leaving) await queue.idle();
  await queue.shutdown();
  await session.close();
  return 0;
}
