// The card that mirrors a session in Feishu: its status, the last prompt and who sent it, the
// answer as it streams, and a prompt box that sends a turn (closed while one runs, gone once the
// card is detached). `apply` folds the agent's events into it; `render` is the card JSON (schema 2.0).
import type { AgentEvent } from "../agent/mod.ts";

/** The longest prompt the card shows. */
const PROMPT_LIMIT = 1_200;
/** The longest answer the card shows; a longer one keeps its end, the part being written. */
const ANSWER_LIMIT = 6_500;

/** The name of the prompt box, and the value its callback carries. */
export const PROMPT_FIELD = "prompt";
export const SEND_ACTION = "send";

export type CardStatus =
  | "Idle"
  | "Running"
  | "Responding"
  | "Tool"
  | "Retrying"
  | "Error"
  | "Detached";

const COLOURS: Record<CardStatus, string> = {
  Idle: "green",
  Running: "blue",
  Responding: "blue",
  Tool: "blue",
  Retrying: "blue",
  Error: "red",
  Detached: "grey",
};

function clipStart(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit)}…`;
}

function clipEnd(text: string, limit: number): string {
  return text.length <= limit ? text : `…${text.slice(-limit)}`;
}

export class SessionCard {
  status: CardStatus = "Idle";
  /** What the status line adds: the tool's name, the error, the retry. */
  detail = "";
  prompt = "";
  sender = "";
  answer = "";
  /** The answer shown is the previous turn's until this turn writes. */
  answerIsOld = false;
  /** Who sends the next turn's prompt; the terminal's user unless the card sent it. */
  #nextSender?: string;

  constructor(readonly model: string, readonly terminalUser = "terminal") {}

  get running(): boolean {
    return !["Idle", "Error", "Detached"].includes(this.status);
  }

  /** The next turn's prompt comes from this person (through the card). */
  expectPromptFrom(sender: string): void {
    this.#nextSender = sender;
  }

  /** Folds one agent event in; true when the card changed. */
  apply(event: AgentEvent): boolean {
    if (this.status === "Detached") return false;
    switch (event.type) {
      case "turn_started":
        this.status = "Running";
        this.detail = "";
        this.prompt = event.texts.join("\n");
        this.sender = this.#nextSender ?? this.terminalUser;
        this.#nextSender = undefined;
        this.answerIsOld = this.answer !== "";
        return true;
      case "text_delta":
        if (this.answerIsOld) this.answer = "";
        this.answerIsOld = false;
        this.answer += event.delta;
        this.status = "Responding";
        this.detail = "";
        return true;
      case "tool_started":
        this.status = "Tool";
        this.detail = event.call.name;
        return true;
      case "reconnecting":
        this.status = "Retrying";
        this.detail = `${event.attempt}/${event.maxRetries}`;
        return true;
      case "turn_completed":
        this.status = "Idle";
        this.detail = "";
        if (event.lastMessage !== null && (this.answerIsOld || this.answer === "")) {
          this.answer = event.lastMessage;
        }
        this.answerIsOld = false;
        return true;
      case "turn_failed":
        this.status = "Error";
        this.detail = event.error.message;
        return true;
      case "turn_interrupted":
        this.status = "Idle";
        this.detail = "interrupted";
        return true;
      default:
        return false;
    }
  }

  detach(): void {
    this.status = "Detached";
    this.detail = "";
  }

  /** The status line: `Tool: exec_command`, `Error: …`. */
  get statusLine(): string {
    return this.detail ? `${this.status}: ${clipStart(this.detail, 200)}` : this.status;
  }

  /**
   * The card JSON. With `plainAnswer` the answer is a plain-text code block, which Feishu takes
   * whatever the text holds (its markdown refuses some, stray tags say).
   */
  render(options: { plainAnswer?: boolean } = {}): Record<string, unknown> {
    const detached = this.status === "Detached";
    const elements: Record<string, unknown>[] = [];
    if (this.prompt) {
      elements.push({
        tag: "markdown",
        content: `> ${this.sender}: **${clipStart(this.prompt, PROMPT_LIMIT)}**`,
      });
    }
    if (this.answer) {
      const shown = clipEnd(this.answer, ANSWER_LIMIT);
      const body = options.plainAnswer
        ? "```text\n" + shown.replaceAll("```", "ʼʼʼ") + "\n```"
        : shown;
      const content = this.answerIsOld ? `*(last turn)*\n${body}` : body;
      elements.push({ tag: "markdown", content });
    }
    if (!detached) {
      elements.push({
        tag: "input",
        name: PROMPT_FIELD,
        disabled: this.running,
        placeholder: {
          tag: "plain_text",
          content: this.running ? `${this.statusLine}…` : `Ask ${this.model}…`,
        },
        behaviors: [{ type: "callback", value: { action: SEND_ACTION } }],
      });
    }
    return {
      schema: "2.0",
      config: { update_multi: true },
      header: {
        title: {
          tag: "plain_text",
          content: detached ? "tscodex session detached" : "tscodex session",
        },
        subtitle: { tag: "plain_text", content: `${this.model} · ${this.statusLine}` },
        template: COLOURS[this.status],
      },
      body: { elements },
    };
  }
}
