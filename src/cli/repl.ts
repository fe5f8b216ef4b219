// The interactive REPL: a line editor over the submission queue. Typing while a turn runs steers
// it; `/queue` waits for a turn of its own; Ctrl-C interrupts the running turn, and exits when
// nothing runs.
import process from "node:process";
import { createInterface, type Interface } from "node:readline";
import {
  type AgentEvent,
  CollaborationMode,
  realUserTexts,
  SubmissionQueue,
  TurnInterruptedError,
} from "../agent/mod.ts";
import type { ApprovalPolicy, SandboxMode } from "../config/mod.ts";
import { listSessions, nameSession, type SessionTarget } from "../session/mod.ts";
import { type MessageItem, messageText } from "../protocol/mod.ts";
import { openAgentSession } from "./setup.ts";
import { approvalPrompt } from "./approval_prompt.ts";
import {
  LinePrompter,
  permissionsPrompt,
  subAgentLine,
  userInputPrompt,
} from "./collab_prompts.ts";
import { VERSION } from "./version.ts";

const HELP = [
  "Type a message and press Enter. While a turn runs, what you type steers it.",
  "  /queue <message>  run the message as its own turn after the current one",
  "  /interrupt        stop the running turn (Ctrl-C does the same)",
  "  /compact          summarise the conversation to free context",
  "  /history          show the conversation so far",
  "  /new              start a new session",
  "  /resume [n]       list recorded sessions, or switch to session n",
  "  /title [name]     show or set this session's title",
  "  /model [name]     show or change the model",
  "  /plan [off]       enter Plan mode (explore and propose, ask questions), or leave it",
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
  const firstLine = (text.split("\n").find((line) => line.trim() !== "") ?? "").slice(0, 96);
  if (call.type === "function_call" && call.name === "exec_command") {
    const cmd = (JSON.parse(call.arguments || "{}") as { cmd?: string }).cmd ?? "";
    const status = /Process exited with code (-?\d+)/.exec(text)?.[1];
    const session = /Process running with session ID (\d+)/.exec(text)?.[1];
    // Neither: the call did not run its course (an interrupt's "aborted by user after 1.2s").
    const outcome = status !== undefined
      ? `exit ${status}`
      : session !== undefined
      ? `running (session ${session})`
      : firstLine;
    return `[exec] ${cmd} -> ${outcome}`;
  }
  return `[${call.name}] ${firstLine}`;
}

/** Remaining context as a percentage, the way pycodex shows it: a fixed baseline is not counted. */
export class ContextMeter {
  static readonly BASELINE_TOKENS = 12_000;
  #window = 0;
  #percent?: number;

  reset(window: number): void {
    this.#window = window;
    this.#percent = undefined;
  }

  update(totalTokens: number): void {
    const effective = this.#window - ContextMeter.BASELINE_TOKENS;
    if (effective <= 0) {
      this.#percent = 0;
      return;
    }
    const used = Math.max(totalTokens - ContextMeter.BASELINE_TOKENS, 0);
    this.#percent = Math.round((100 * Math.max(effective - used, 0)) / effective);
  }

  prompt(): string {
    return this.#percent === undefined ? "tscodex> " : `tscodex(${this.#percent}%)> `;
  }
}

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

export interface ReplOptions {
  model?: string;
  config?: string[];
  profile?: string;
  sandbox?: SandboxMode;
  askForApproval?: ApprovalPolicy;
  /** Start in a recorded session. */
  resume?: SessionTarget;
}

export async function runRepl(
  initialPrompt: string | undefined,
  options: ReplOptions,
): Promise<number> {
  const out = process.stdout;
  const s = styles(out.isTTY === true && !process.env.NO_COLOR);
  const meter = new ContextMeter();
  let title: string | undefined;
  let streaming = false;
  let status = "";
  let spinnerFrame = 0;
  let spinnerShown = false;
  const clearSpinner = () => {
    if (spinnerShown) out.write("\r\x1b[2K");
    spinnerShown = false;
  };

  const rl: Interface = createInterface({
    input: process.stdin,
    output: out,
    prompt: "tscodex> ",
    terminal: process.stdin.isTTY,
  });
  let inputClosed = false;
  rl.on("close", () => (inputClosed = true));
  /** The prompt, unless input has ended (a pipe at EOF): readline refuses to prompt after close. */
  const showPrompt = (preserveCursor?: boolean) => {
    if (!inputClosed) rl.prompt(preserveCursor);
  };
  // Input can arrive (from a pipe) before the session is open: keep it for then.
  const early: string[] = [];
  let endedEarly = false;
  const keepEarly = (line: string) => early.push(line);
  const markEnded = () => (endedEarly = true);
  rl.on("line", keepEarly);
  rl.on("close", markEnded);
  const endStream = () => {
    if (streaming) out.write("\n");
    streaming = false;
  };
  // Questions from the tools take the next typed line instead of steering the turn.
  const prompter = new LinePrompter((question) => {
    endStream();
    clearSpinner();
    out.write(s.yellow(question));
  });
  const collaboration = new CollaborationMode();
  const onEvent = (event: AgentEvent) => {
    clearSpinner();
    switch (event.type) {
      case "turn_started":
        status = "working";
        break;
      case "model_called":
        status = "thinking";
        break;
      case "tool_started":
        status = `running ${event.call.name}`;
        break;
      case "token_count":
        meter.update(event.usage.total_tokens);
        rl.setPrompt(meter.prompt());
        break;
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
        showPrompt(true);
        break;
    }
  };
  const open = (resume?: SessionTarget) =>
    openAgentSession({
      cwd: process.cwd(),
      model: options.model,
      configOverrides: options.config,
      profile: options.profile,
      sandboxMode: options.sandbox,
      approvalPolicy: options.askForApproval,
      originator: "codex-tui",
      source: "cli",
      resume,
      onEvent,
      notice: (text) => out.write(s.dim(text) + "\n"),
      collaboration,
      askUser: userInputPrompt((question, signal) => prompter.ask(question, signal)),
      askPermissions: permissionsPrompt((question, signal) => prompter.ask(question, signal)),
      askApproval: approvalPrompt((question, signal) => prompter.ask(question, signal)),
      onSubAgentEvent: (child, event) => {
        const line = subAgentLine(child, event);
        if (!line) return;
        clearSpinner();
        out.write(s.dim(line) + "\n");
      },
    });
  let session = await open(options.resume);
  let queue = new SubmissionQueue(session.agent);
  /** Replaces the running session (for /new and /resume); refused while a turn runs. */
  const switchTo = async (resume?: SessionTarget) => {
    const next = await open(resume);
    await queue.shutdown();
    await session.close();
    session = next;
    queue = new SubmissionQueue(session.agent);
    meter.reset(session.contextWindow);
    rl.setPrompt(meter.prompt());
  };
  // The spinner shares the line with what the user types, so it only draws on an empty line, and
  // never over a question waiting for its answer.
  const spinner = out.isTTY
    ? setInterval(() => {
      if (!queue.busy || streaming || rl.line !== "" || prompter.waiting) return;
      spinnerFrame = (spinnerFrame + 1) % SPINNER.length;
      out.write(`\r\x1b[2K${s.dim(`${SPINNER[spinnerFrame]} ${status}`)}`);
      spinnerShown = true;
    }, 120)
    : undefined;
  meter.reset(session.contextWindow);
  out.write(
    `${s.bold(`tscodex ${VERSION}`)} ${
      s.dim(
        `model ${session.agent.options.model}; session ${session.agent.sessionId}; /help for commands`,
      )
    }\n`,
  );
  if (options.resume) printHistory();

  function printHistory(): void {
    let shown = 0;
    for (const item of session.agent.history) {
      if (item.type !== "message") continue;
      const message = item as MessageItem;
      const text = messageText(message);
      if (
        message.role === "developer" ||
        realUserTexts([message]).length === 0 && message.role === "user"
      ) {
        continue;
      }
      shown++;
      out.write(`[${shown}]${message.role === "user" ? "U>" : "A>"} ${text.slice(0, 200)}\n`);
    }
    if (shown === 0) out.write("No history yet.\n");
  }
  const report = (err: unknown) => {
    out.write(s.red(`Error: ${(err as Error).message}`) + "\n");
    showPrompt();
  };
  const submit = (text: string, mode: "steer" | "queue") => {
    queue.submit(text, mode).catch((err) => {
      if (!(err instanceof TurnInterruptedError)) return; // turn_failed already said it
    });
  };
  const handle = (line: string): boolean => {
    if (prompter.offer(line)) return true;
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
        } else if (argument) session.switchModel(argument);
        out.write(`Current model: ${session.agent.options.model}\n`);
        return true;
      case "/history":
        printHistory();
        return true;
      case "/plan": {
        const kind = argument === "off" ? "default" : "plan";
        if (queue.busy) out.write("A turn is running; change the mode when it ends.\n");
        else collaboration.switchTo(kind, session.agent);
        out.write(`Mode: ${collaboration.spec.name}\n`);
        return true;
      }
      case "/new":
        if (queue.busy) out.write("A turn is running; start a new session when it ends.\n");
        else {
          switchTo().then(() => {
            out.write(`New session ${session.agent.sessionId}\n`);
            showPrompt();
          }, report);
        }
        return true;
      case "/title":
        if (!argument) {
          out.write(`Session: ${title ?? "untitled"}\n`);
          return true;
        }
        title = argument;
        nameSession(session.home, session.agent.sessionId, argument).then(
          () => out.write(`Session: ${argument}\n`),
          report,
        );
        return true;
      case "/resume":
        if (queue.busy) {
          out.write("A turn is running; resume another session when it ends.\n");
          return true;
        }
        listSessions(session.home).then(async (sessions) => {
          const others = sessions.filter((entry) => entry.sessionId !== session.agent.sessionId);
          if (!argument) {
            if (others.length === 0) out.write("No resumable sessions found.\n");
            else out.write("Available sessions:\n");
            others.forEach((entry, i) => out.write(`[${i + 1}] ${entry.title}\n`));
            out.write(others.length ? "Use /resume <number>.\n" : "");
            return showPrompt();
          }
          const chosen = others[Number(argument) - 1];
          if (!/^\d+$/.test(argument) || !chosen) {
            out.write(`Session not found: ${argument}\n`);
            return showPrompt();
          }
          await switchTo({ id: chosen.sessionId });
          title = chosen.title;
          out.write(`Resumed session: ${chosen.title}\n`);
          printHistory();
          showPrompt();
        }).catch(report);
        return true;
      case "/compact":
        if (queue.busy) {
          out.write("A turn is running; compact when it ends.\n");
          return true;
        }
        session.agent.compact(new AbortController().signal).then(
          () => showPrompt(),
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
      return;
    }
    lastSigint = now;
    out.write(s.dim("\n(Ctrl-C again or /exit to leave)") + "\n");
    showPrompt();
  });
  rl.off("line", keepEarly);
  rl.off("close", markEnded);
  if (initialPrompt) handle(initialPrompt);
  leaving = !early.every(handle);
  if (!endedEarly && !leaving) {
    showPrompt();
    await new Promise<void>((resolve) => {
      rl.on("line", (line) => {
        if (!handle(line)) {
          leaving = true;
          rl.close();
        } else if (!queue.busy) showPrompt();
      });
      rl.on("close", () => resolve());
    });
  }
  rl.close();
  // End of input (a pipe, Ctrl-D) lets the submitted turns finish; /exit and Ctrl-C do not.
  if (!leaving) await queue.idle();
  clearInterval(spinner);
  clearSpinner();
  await queue.shutdown();
  await session.close();
  return 0;
}
