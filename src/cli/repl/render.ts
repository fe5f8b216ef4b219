// What the REPL draws: the agent's events as lines, the streamed answer, the spinner that shares
// the input line, and the context meter in the prompt.
import process from "node:process";
import { type AgentEvent, realUserTexts } from "../../agent/mod.ts";
import { type MessageItem, messageText, type ResponseItem } from "../../protocol/mod.ts";

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

/** What the screen needs to know of the input loop. */
export interface PromptPort {
  /** Whether the spinner may use the input line: a turn runs and nothing is typed or asked. */
  idleLine(): boolean;
  setPrompt(text: string): void;
  showPrompt(preserveCursor?: boolean): void;
}

export class ReplScreen {
  readonly style: Styles;
  readonly meter = new ContextMeter();
  #streaming = false;
  #status = "";
  #frame = 0;
  #spinnerShown = false;
  #spinner?: ReturnType<typeof setInterval>;

  constructor(private readonly out: NodeJS.WriteStream, private readonly prompt: PromptPort) {
    this.style = styles(out.isTTY === true && !process.env.NO_COLOR);
  }

  /**
   * The spinner shares the line with what the user types, so it only draws on an empty line, and
   * never over a question waiting for its answer.
   */
  startSpinner(): void {
    if (!this.out.isTTY) return;
    this.#spinner = setInterval(() => {
      if (this.#streaming || !this.prompt.idleLine()) return;
      this.#frame = (this.#frame + 1) % SPINNER.length;
      this.out.write(`\r\x1b[2K${this.style.dim(`${SPINNER[this.#frame]} ${this.#status}`)}`);
      this.#spinnerShown = true;
    }, 120);
  }

  stopSpinner(): void {
    clearInterval(this.#spinner);
    this.#clearSpinner();
  }

  /** A line of its own, after whatever was streaming. */
  line(text: string): void {
    this.#clearSpinner();
    this.out.write(text + "\n");
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
        this.#status = "working";
        break;
      case "model_called":
        this.#status = "thinking";
        break;
      case "tool_started":
        this.#status = `running ${event.call.name}`;
        break;
      case "token_count":
        this.meter.update(event.usage.total_tokens);
        this.prompt.setPrompt(this.meter.prompt());
        break;
      case "text_delta":
        if (!this.#streaming) this.out.write(s.bold("codex> "));
        this.#streaming = true;
        this.out.write(event.delta);
        break;
      case "item_completed":
        if (event.item.type === "message") this.#endStream();
        if (event.item.type === "reasoning") {
          const summary = (event.item.summary as Array<{ text: string }>).map((p) => p.text)
            .join(" ");
          if (summary) this.line(s.dim(`thinking: ${summary}`));
        }
        break;
      case "tool_completed":
        this.#endStream();
        this.line(s.yellow(toolSummary(event)));
        break;
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
        this.#endStream();
        this.error(event.error.message);
        break;
      case "turn_interrupted":
        this.#endStream();
        this.line(s.dim("[interrupted]"));
        break;
      case "turn_completed":
        this.#endStream();
        this.prompt.showPrompt(true);
        break;
    }
  }

  #endStream(): void {
    if (this.#streaming) this.out.write("\n");
    this.#streaming = false;
  }

  #clearSpinner(): void {
    if (this.#spinnerShown) this.out.write("\r\x1b[2K");
    this.#spinnerShown = false;
  }
}
