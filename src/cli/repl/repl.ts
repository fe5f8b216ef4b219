// The interactive REPL: a line editor over the submission queue. Typing while a turn runs steers
// it; `/queue` waits for a turn of its own; Ctrl-C interrupts the running turn, and exits when
// nothing runs. Commands are in ./commands.ts, drawing in ./render.ts; this is the input loop.
import process from "node:process";
import { createInterface, type Interface } from "node:readline";
import { CollaborationMode, SubmissionQueue, TurnInterruptedError } from "../../agent/mod.ts";
import { type ApprovalPolicy, codexHome, type SandboxMode } from "../../config/mod.ts";
import type { FeishuLink } from "../../feishu/mod.ts";
import type { SessionTarget } from "../../session/mod.ts";
import { approvalPrompt } from "../approval_prompt.ts";
import {
  LinePrompter,
  permissionsPrompt,
  subAgentLine,
  userInputPrompt,
} from "../collab_prompts.ts";
import {
  type AgentSession,
  type BackendFlags,
  backendSwitches,
  openAgentSession,
  sessionFromFlags,
} from "../setup/mod.ts";
import { enterFolder } from "../exec.ts";
import { VERSION } from "../version.ts";
import { findCommand, type ReplContext } from "./commands.ts";
import { pickSession } from "./picker.ts";
import { ReplScreen } from "./render.ts";

/** The first word of a line that names a command: a slash and a name, no further slashes. */
const COMMAND_WORD = /^\/[A-Za-z][\w-]*$/;

export interface ReplOptions extends BackendFlags {
  model?: string;
  config?: string[];
  profile?: string;
  sandbox?: SandboxMode;
  askForApproval?: ApprovalPolicy;
  fullAuto?: boolean;
  dangerouslyBypassApprovalsAndSandbox?: boolean;
  /** `-C`: the folder to work in. */
  cd?: string;
  enable?: string[];
  disable?: string[];
  addDir?: string[];
  /** Start in a recorded session. */
  resume?: SessionTarget;
  /** Start by picking a recorded session (of `cwd`, or of every folder). */
  pick?: { cwd?: string };
}

/**
 * The sandbox and approval policy the flags ask for, as upstream's interactive CLI reads them:
 * the bypass flag turns both off; --full-auto is workspace-write, asking when the model wants
 * more; -s and -a name each one.
 */
export function replPermissions(
  options: ReplOptions,
): { sandbox?: SandboxMode; approval?: ApprovalPolicy } {
  if (options.dangerouslyBypassApprovalsAndSandbox) {
    return { sandbox: "danger-full-access", approval: "never" };
  }
  if (options.fullAuto) {
    return {
      sandbox: options.sandbox ?? "workspace-write",
      approval: options.askForApproval ?? "on-request",
    };
  }
  return { sandbox: options.sandbox, approval: options.askForApproval };
}

/**
 * Typed lines, kept from the start: input can arrive (from a pipe) before the session is open,
 * and a line waits while a command before it finishes.
 */
class TypedLines {
  #lines: string[] = [];
  #ended = false;
  #wake?: () => void;

  constructor(rl: Interface) {
    rl.on("line", (line) => {
      this.#lines.push(line);
      this.#wake?.();
    });
    rl.on("close", () => {
      this.#ended = true;
      this.#wake?.();
    });
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Whether more lines are already waiting. */
  get pending(): boolean {
    return this.#lines.length > 0;
  }

  /** The next line, or undefined once input has ended. */
  async next(): Promise<string | undefined> {
    while (this.#lines.length === 0 && !this.#ended) {
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
    return this.#lines.shift();
  }
}

export async function runRepl(
  initialPrompt: string | undefined,
  options: ReplOptions,
): Promise<number> {
  enterFolder(options.cd);
  const permissions = replPermissions(options);
  const backend = backendSwitches(options);
  const out = process.stdout;
  const rl: Interface = createInterface({
    input: process.stdin,
    output: out,
    prompt: "tscodex> ",
    terminal: process.stdin.isTTY,
  });
  const lines = new TypedLines(rl);
  /** The prompt, unless input has ended (a pipe at EOF): readline refuses to prompt after close. */
  const showPrompt = (preserveCursor?: boolean) => {
    if (!lines.ended) rl.prompt(preserveCursor);
  };
  // Questions from the tools take the next typed line instead of steering the turn.
  const prompter = new LinePrompter((question) => screen.question(question));
  const screen = new ReplScreen(out, {
    busy: () => queue.busy,
    asking: () => prompter.waiting,
    typed: () => rl.line,
    setPrompt: (text) => rl.setPrompt(text),
    showPrompt,
  }, process.cwd());
  const collaboration = new CollaborationMode();
  const ask = (question: string, signal: AbortSignal) => prompter.ask(question, signal);
  let link: FeishuLink | undefined;
  const open = async (resume?: SessionTarget) => {
    const opened = await openAgentSession({
      ...sessionFromFlags(options),
      backend,
      sandboxMode: permissions.sandbox,
      approvalPolicy: permissions.approval,
      originator: "codex-tui",
      source: "cli",
      resume,
      onEvent: (event) => {
        screen.event(event);
        link?.onEvent(event);
      },
      notice: (text) => screen.line(screen.style.dim(text)),
      collaboration,
      askUser: userInputPrompt(ask),
      askPermissions: permissionsPrompt(ask),
      askApproval: approvalPrompt(ask),
      onSubAgentEvent: (child, event) => {
        const line = subAgentLine(child, event);
        if (line) screen.line(screen.style.dim(line));
      },
    });
    // A server that cannot start is said once; the session goes on without its tools.
    opened.mcpStartup((event) => {
      if (event.type === "failed") {
        screen.line(screen.style.dim(`mcp: ${event.server} failed: ${event.error}`));
      }
    });
    return opened;
  };
  let resume = options.resume;
  if (options.pick) {
    const picked = await pickSession(codexHome(), options.pick.cwd, {
      write: (line) => screen.line(line),
      read: () => lines.next(),
    });
    if (!picked) {
      rl.close();
      return 0;
    }
    resume = picked.resume;
  }
  let session: AgentSession = await open(resume);
  let queue = new SubmissionQueue(session.agent);
  /** The prompt, once nothing runs and no typed line waits to be handled. */
  const promptIfIdle = () => {
    if (!queue.busy && !lines.pending) showPrompt();
  };
  let awaitingIdle = false;
  /** The prompt again when the turns end, however they end (done, failed, interrupted). */
  const promptWhenIdle = () => {
    if (awaitingIdle) return;
    awaitingIdle = true;
    queue.idle().then(() => {
      awaitingIdle = false;
      promptIfIdle();
    });
  };
  const repl: ReplContext = {
    get session() {
      return session;
    },
    get busy() {
      return queue.busy;
    },
    screen,
    collaboration,
    title: undefined,
    get link() {
      return link;
    },
    set link(next) {
      link = next;
    },
    submit: (text, mode) => {
      queue.submit(text, mode).catch((err) => {
        if (!(err instanceof TurnInterruptedError)) return; // turn_failed already said it
      });
      promptWhenIdle();
    },
    interrupt: () => queue.interrupt(),
    switchTo: async (resume) => {
      const next = await open(resume);
      await queue.shutdown();
      await session.close();
      session = next;
      queue = new SubmissionQueue(session.agent);
      screen.resetMeter(session.contextWindow);
    },
  };
  screen.resetMeter(session.contextWindow);
  screen.startSpinner();
  const { bold, dim } = screen.style;
  screen.line(
    `${bold(`tscodex ${VERSION}`)} ${
      dim(
        `model ${session.agent.options.model}; session ${session.agent.sessionId}; ` +
          `/help for commands`,
      )
    }`,
  );
  if (resume) screen.history(session.agent.history);

  /** Does what a line says; false when it says to leave. */
  const handle = async (line: string): Promise<boolean> => {
    if (prompter.offer(line)) return true;
    const text = line.trim();
    if (!text) return true;
    const [name, ...rest] = text.split(/\s+/);
    const command = findCommand(name);
    // A word like `/foo` is meant as a command, never as a message (a path like /usr/bin is).
    if (!command && COMMAND_WORD.test(name)) {
      screen.line(`Unknown command ${name}; /help lists the commands.`);
      return true;
    }
    if (!command) {
      repl.submit(text, "steer");
      return true;
    }
    if (command.notWhileBusy && queue.busy) {
      screen.line(command.notWhileBusy);
      return true;
    }
    try {
      return await command.run(repl, rest.join(" ")) !== "exit";
    } catch (err) {
      screen.error((err as Error).message);
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
    screen.line(dim("\n(Ctrl-C again or /exit to leave)"));
    showPrompt();
  });
  // Esc interrupts a running turn, as in upstream's TUI. Keys are seen before readline draws
  // them, so the spinner or a streamed answer can leave the input line first.
  if (process.stdin.isTTY) {
    process.stdin.prependListener("keypress", (_text: string, key?: { name?: string }) => {
      if (key?.name === "escape") {
        if (queue.busy) queue.interrupt();
        return;
      }
      screen.keypress();
    });
  }
  if (initialPrompt) leaving = !await handle(initialPrompt);
  if (!leaving) promptIfIdle();
  for (let line; !leaving && (line = await lines.next()) !== undefined;) {
    screen.lineFree();
    if (!await handle(line)) leaving = true;
    else promptIfIdle();
  }
  rl.close();
  // End of input (a pipe, Ctrl-D) lets the submitted turns finish; /exit and Ctrl-C do not.
  if (!leaving) await queue.idle();
  screen.stopSpinner();
  await queue.shutdown();
  await link?.close();
  await session.close();
  return 0;
}
