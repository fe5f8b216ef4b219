// What the REPL draws: the agent's events as lines, the streamed answer, the spinner that shares
// the input line, and the context meter in the prompt.
import process from "node:process";
import { type AgentEvent, realUserTexts } from "../../agent/mod.ts";
import { type MessageItem, messageText, type ResponseItem } from "../../protocol/mod.ts";
import { commandOf, patchLine, planLines, toolLine, webSearchLine } from "./tool_lines.ts";

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

  /** The input prompt, with what is left of the context once a response has said. */
  prompt(): string {
    return this.#percent === undefined ? "tscodex> " : `tscodex (${this.#percent}% left)> `;
  }
}

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/** What the screen needs to know of the input loop. */
export interface PromptPort {
  /** Whether a turn runs. */
  busy(): boolean;
  /** Whether a question from a tool waits for its answer on the input line. */
  asking(): boolean;
  /** What is typed on the input line so far. */
  typed(): string;
  setPrompt(text: string): void;
  showPrompt(preserveCursor?: boolean): void;
}

/** What the turn is doing, for the spinner, and since when. */
interface Activity {
  text: string;
  since: number;
}

function seconds(since: number): string {
  return `${Math.floor((Date.now() - since) / 1000)}s`;
}

export class ReplScreen {
  readonly style: Styles;
  readonly meter = new ContextMeter();
  /** The streamed answer's line is open (the cursor is at its end). */
  #streaming = false;
  /**
   * Streamed text kept while the user types on the input line (undefined: none is kept); it
   * goes on, on a line of its own, once the line is free.
   */
  #held?: string;
  #activity: Activity = { text: "working", since: Date.now() };
  #frame = 0;
  #spinnerShown = false;
  #spinner?: ReturnType<typeof setInterval>;
  /** Calls whose outcome was already drawn from their tool events (plans, patches). */
  readonly #drawn = new Set<string>();

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly prompt: PromptPort,
    private readonly cwd: string,
  ) {
    this.style = styles(out.isTTY === true && !process.env.NO_COLOR);
  }

  /**
   * The spinner uses the input line while a turn runs, so it draws only on an empty line with no
   * question waiting, and says what runs and for how long.
   */
  startSpinner(): void {
    if (!this.out.isTTY) return;
    this.#spinner = setInterval(() => {
      if (!this.prompt.busy()) return this.#clearSpinner();
      if (this.#held !== undefined && this.prompt.typed() === "") this.#flushHeld();
      if (this.#streaming || this.prompt.typed() !== "" || this.prompt.asking()) return;
      this.#frame = (this.#frame + 1) % SPINNER.length;
      const { text, since } = this.#activity;
      const status = `${SPINNER[this.#frame]} ${text} (${seconds(since)} · esc to interrupt)`;
      this.out.write(`\r\x1b[2K${this.style.dim(status)}`);
      this.#spinnerShown = true;
    }, 120);
  }

  stopSpinner(): void {
    clearInterval(this.#spinner);
    this.#clearSpinner();
  }

  /**
   * A key is about to reach the input line: whatever holds that line (the spinner, a streamed
   * answer) gives it up first, so typed text never runs on after it.
   */
  keypress(): void {
    if (this.#spinnerShown) {
      this.#clearSpinner();
      this.prompt.showPrompt(true);
    } else if (this.#streaming) {
      this.out.write("\n");
      this.#streaming = false;
      this.#held = "";
      this.prompt.showPrompt(true);
    }
  }

  /** The typed line was sent (or emptied): streamed text held meanwhile comes out. */
  lineFree(): void {
    if (this.#held !== undefined) this.#flushHeld();
  }

  /**
   * A line of its own, after whatever was streaming; what the user is typing moves below it.
   */
  line(text: string): void {
    this.#clearSpinner();
    this.#endStream();
    const typing = this.prompt.typed() !== "";
    if (typing) this.out.write("\r\x1b[2K");
    this.out.write(text + "\n");
    if (typing) this.prompt.showPrompt(true);
  }

  /** A question from a tool, answered by the next typed line. */
  question(text: string): void {
    this.#endStream();
    this.#clearSpinner();
    this.out.write(this.style.yellow(text));
  }

  error(message: string): void {
    this.line(this.style.red(`Error: ${message}`));
  }

  /** The conversation so far, one numbered line per message the user or the model wrote. */
  history(items: readonly ResponseItem[]): void {
    let shown = 0;
    for (const item of items) {
      if (item.type !== "message") continue;
      const message = item as MessageItem;
      if (message.role === "developer") continue;
      if (message.role === "user" && realUserTexts([message]).length === 0) continue;
      shown++;
      const who = message.role === "user" ? "U>" : "A>";
      this.line(`[${shown}]${who} ${messageText(message).slice(0, 200)}`);
    }
    if (shown === 0) this.line("No history yet.");
  }

  /** A new context window (a new or resumed session): the meter starts again. */
  resetMeter(window: number): void {
    this.meter.reset(window);
    this.prompt.setPrompt(this.meter.prompt());
  }

  event(event: AgentEvent): void {
    const s = this.style;
    this.#clearSpinner();
    switch (event.type) {
      case "turn_started":
        this.#activity = { text: "working", since: Date.now() };
        this.#drawn.clear();
        break;
      case "model_called":
        this.#activity = { text: "thinking", since: Date.now() };
        break;
      case "tool_started": {
        const command = commandOf(event.call);
        const text = command === undefined ? `running ${event.call.name}` : `running ${command}`;
        this.#activity = { text: text.replace(/\s+/g, " ").slice(0, 80), since: Date.now() };
        break;
      }
      case "token_count":
        this.meter.update(event.usage.total_tokens);
        this.prompt.setPrompt(this.meter.prompt());
        break;
      case "text_delta":
        this.#stream(event.delta);
        break;
      case "item_completed":
        if (event.item.type === "message") this.#endStream();
        if (event.item.type === "reasoning") {
          const summary = (event.item.summary as Array<{ text: string }>).map((p) => p.text)
            .join(" ");
          if (summary) this.line(s.dim(`thinking: ${summary}`));
        }
        if (event.item.type === "web_search_call") this.line(s.yellow(webSearchLine(event.item)));
        break;
      case "tool_event":
        switch (event.event.type) {
          case "plan_updated":
            this.#drawn.add(event.call.call_id);
            for (const line of planLines(event.event.plan, event.event.explanation)) {
              this.line(s.yellow(line));
            }
            break;
          case "patch_applied":
            this.#drawn.add(event.call.call_id);
            this.line(s.yellow(patchLine(event.event.changes, this.cwd)));
            break;
          // Shown by the call's line when it completes.
          case "collab_call":
          case "command_started":
          case "mcp_call":
          case "tool_failed":
            break;
          default:
            event.event satisfies never;
        }
        break;
      case "tool_completed": {
        if (this.#drawn.has(event.call.call_id)) break;
        const { output } = event.output;
        const text = typeof output === "string" ? output : "(content items)";
        const line = toolLine(event.call, text, event.metadata);
        this.line(line.startsWith("[error]") ? s.red(line) : s.yellow(line));
        break;
      }
      case "steer_inserted":
        this.line(s.dim(`[steer] inserted: ${event.texts.join(" / ")}`));
        break;
      case "reconnecting":
        this.line(s.dim(`Reconnecting... ${event.attempt}/${event.maxRetries} (${event.error})`));
        break;
      case "compaction_completed":
        this.line(s.dim(`[compact] history now ${event.history.length} items`));
        break;
      case "turn_failed":
        this.error(event.error.message);
        break;
      case "turn_interrupted":
        this.line(s.dim("[interrupted]"));
        break;
      case "turn_completed":
        this.#endStream();
        break;
      // Nothing on the screen of their own: the stream, the activity line and the turn's end
      // say it.
      case "history_appended":
      case "stream_opened":
      case "item_started":
      case "reasoning_delta":
      case "compaction_started":
      case "compaction_failed":
        break;
      default:
        event satisfies never;
    }
  }

  /** Streamed answer text: on its line, or held while the user types on the input line. */
  #stream(delta: string): void {
    if (this.prompt.typed() !== "" || this.#held !== undefined) {
      this.#held = (this.#held ?? "") + delta;
      if (this.prompt.typed() === "") this.#flushHeld();
      return;
    }
    if (!this.#streaming) this.out.write(this.style.bold("codex> "));
    this.#streaming = true;
    this.out.write(delta);
  }

  #flushHeld(): void {
    const text = this.#held ?? "";
    this.#held = undefined;
    this.#clearSpinner();
    // The input line (an empty prompt) gives way to the answer, which goes on from there.
    this.out.write("\r\x1b[2K");
    if (text === "") return;
    this.out.write(this.style.bold("codex> ") + text);
    this.#streaming = true;
  }

  #endStream(): void {
    if (this.#held !== undefined) this.#flushHeld();
    if (this.#streaming) this.out.write("\n");
    this.#streaming = false;
  }

  #clearSpinner(): void {
    if (this.#spinnerShown) this.out.write("\r\x1b[2K");
    this.#spinnerShown = false;
  }
}
