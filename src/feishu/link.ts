// A session linked to a Feishu card (the REPL's /link): the card is sent once, then patched as the
// session's events change it — at most every FLUSH_INTERVAL_MS, so a streamed answer is a handful
// of updates rather than one per token — and a prompt typed into the card becomes a turn, unless
// one runs. /unlink (or leaving the REPL) patches it one last time as detached.
import type { AgentEvent } from "../agent/mod.ts";
import { type FeishuApi, resolveTarget, type Target } from "./api.ts";
import { SessionCard } from "./card.ts";
import { FeishuError } from "./errors.ts";
import { CardActionListener } from "./listener.ts";

/** The shortest time between two updates of the card. */
export const FLUSH_INTERVAL_MS = 500;
/** What Feishu says when its markdown cannot take the card's text. */
const REFUSED_CONTENT = /failed to create card content/i;

/** What the link needs of the session it mirrors. */
export interface LinkHost {
  /** Whether a turn runs; the card refuses prompts then. */
  busy(): boolean;
  /** Runs `text` as a turn. */
  submit(text: string): void;
  /** Says something to the terminal's user (an update that failed, a prompt from the card). */
  notice(text: string): void;
}

/** A prompt submitted from a card, as the listener received it. */
export interface CardAction {
  /** The message the card is; a card of an older link is refused. */
  messageId: string;
  /** Who pressed it (open id), when Feishu says. */
  operatorId?: string;
  prompt: string;
}

/** The small message Feishu shows the person who pressed. */
export interface Toast {
  type: "success" | "info" | "warning" | "error";
  content: string;
}

export class FeishuLink {
  readonly #card: SessionCard;
  #timer?: ReturnType<typeof setTimeout>;
  #flushing: Promise<void> = Promise.resolve();
  #dirty = false;
  #lastError = "";
  #closed = false;
  #listener?: CardActionListener;

  private constructor(
    readonly api: FeishuApi,
    readonly target: Target,
    readonly messageId: string,
    card: SessionCard,
    readonly host: LinkHost,
  ) {
    this.#card = card;
  }

  /**
   * Sends the card to whom `who` names; the link starts once Feishu has it. With `listen`, what is
   * typed into the card's prompt box arrives over Feishu's long connection.
   */
  static async open(
    api: FeishuApi,
    who: string,
    model: string,
    host: LinkHost,
    options: { listen?: boolean } = {},
  ): Promise<FeishuLink> {
    const target = await resolveTarget(api, who);
    const card = new SessionCard(model);
    const messageId = await api.sendCard(target, card.render());
    const link = new FeishuLink(api, target, messageId, card, host);
    if (options.listen) {
      link.#listener = CardActionListener.start(api.settings, {
        action: (action) => link.action(action),
        problem: (text) => host.notice(text),
      });
    }
    return link;
  }

  /** The card's state, for the terminal's messages and tests. */
  get card(): Readonly<SessionCard> {
    return this.#card;
  }

  /** Folds a session event into the card; an update follows shortly. */
  onEvent(event: AgentEvent): void {
    if (this.#closed || !this.#card.apply(event)) return;
    this.#dirty = true;
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      this.#flushing = this.#flushing.then(() => this.#flush());
    }, FLUSH_INTERVAL_MS);
  }

  async #flush(): Promise<void> {
    if (!this.#dirty) return;
    this.#dirty = false;
    try {
      await this.#update();
      this.#lastError = "";
    } catch (err) {
      // Said once per distinct failure: a card that cannot be updated must not flood the screen.
      const message = (err as Error).message;
      if (message !== this.#lastError) this.host.notice(`feishu: ${message}`);
      this.#lastError = message;
    }
  }

  async #update(): Promise<void> {
    try {
      await this.api.updateCard(this.messageId, this.#card.render());
    } catch (err) {
      if (!(err instanceof FeishuError) || !REFUSED_CONTENT.test(err.message)) throw err;
      await this.api.updateCard(this.messageId, this.#card.render({ plainAnswer: true }));
    }
  }

  /** A prompt from the card: run it, or say why not. */
  async action(action: CardAction): Promise<Toast> {
    if (this.#closed || action.messageId !== this.messageId) {
      return { type: "warning", content: "This card is no longer linked to a session." };
    }
    const prompt = action.prompt.trim();
    if (!prompt) return { type: "info", content: "Type a prompt first." };
    if (!this.#mayPrompt(action.operatorId)) {
      // A card in a group, or forwarded, is seen by people the user never let drive the session.
      return {
        type: "warning",
        content: this.target.type === "open_id"
          ? `Only ${this.target.label} can send prompts to this session.`
          : "Prompts from this chat need TSCODEX_FEISHU_ALLOWED_USERS on the user's machine.",
      };
    }
    if (this.host.busy() || this.#card.running) {
      return { type: "warning", content: "A turn is running; send this when it has finished." };
    }
    const sender = action.operatorId
      ? await this.api.nameOf(action.operatorId) ?? action.operatorId
      : "Feishu";
    this.#card.expectPromptFrom(sender);
    this.host.notice(`feishu: ${sender} asks from the card: ${prompt}`);
    this.host.submit(prompt);
    return { type: "success", content: "Sent." };
  }

  /**
   * Whether a press by `operator` may run a turn: the person the card went to, anyone named in
   * TSCODEX_FEISHU_ALLOWED_USERS, or anyone when that says `*`; never a press Feishu names nobody for.
   */
  #mayPrompt(operator: string | undefined): boolean {
    const allowed = this.api.settings.allowedUsers;
    if (allowed.includes("*")) return true;
    if (!operator) return false;
    return (this.target.type === "open_id" && operator === this.target.id) ||
      allowed.includes(operator);
  }

  /** Marks the card detached (its prompt box goes) and stops updating it. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listener?.close();
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#flushing;
    this.#card.detach();
    this.#dirty = true;
    await this.#flush();
  }
}

/** Whom a card went to, as the terminal says it. */
export function describeTarget(target: Target): string {
  return target.type === "chat_id" ? `the chat ${target.id}` : `${target.label} (${target.id})`;
}
