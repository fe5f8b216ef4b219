// Receives what people press on the card over Feishu's long connection, as the seed does (so no
// public callback URL is needed): the app asks the endpoint for a WebSocket address, connects,
// pings, and answers each card.action.trigger event with the toast to show. A dropped connection
// is made again after the interval Feishu sets. The app must have "receive events and callbacks
// through the persistent connection" turned on in its console.
import { FeishuError } from "./errors.ts";
import {
  base64Json,
  CONTROL,
  DATA,
  decodeFrame,
  encodeFrame,
  type Frame,
  headerOf,
  jsonPayload,
  payloadJson,
} from "./frames.ts";
import { PROMPT_FIELD } from "./card.ts";
import type { CardAction, Toast } from "./link.ts";
import type { FeishuSettings } from "./settings.ts";

/** How long the endpoint request may take. */
const ENDPOINT_TIMEOUT_MS = 15_000;
/** Until Feishu says otherwise (in seconds, as it does). */
const DEFAULT_PING_S = 120;
const DEFAULT_RECONNECT_S = 120;
/** A message's fragments not completed within this long are dropped. */
const FRAGMENT_TTL_MS = 10_000;

export const CARD_ACTION_EVENT = "card.action.trigger";

export interface ListenerHooks {
  /** A prompt from the card; resolves with what the person who pressed is shown. */
  action(action: CardAction): Promise<Toast>;
  /** The connection failed or dropped (said once per distinct problem). */
  problem(text: string): void;
}

type Json = Record<string, unknown>;

interface ClientConfig {
  PingInterval?: number;
  ReconnectInterval?: number;
  ReconnectNonce?: number;
}

/** The prompt of a card.action.trigger event, or undefined when it is not the prompt box's. */
export function cardActionOf(event: Json): CardAction | undefined {
  const action = (event.action ?? {}) as Json;
  const form = (action.form_value ?? {}) as Json;
  const prompt = action.input_value ?? form[PROMPT_FIELD];
  if (typeof prompt !== "string") return undefined;
  const context = (event.context ?? {}) as Json;
  const operator = (event.operator ?? {}) as Json;
  return {
    messageId: String(context.open_message_id ?? event.open_message_id ?? ""),
    operatorId: typeof operator.open_id === "string" ? operator.open_id : undefined,
    prompt,
  };
}

export class CardActionListener {
  #socket?: WebSocket;
  #closed = false;
  #ping?: ReturnType<typeof setInterval>;
  #retry?: ReturnType<typeof setTimeout>;
  #service = 0;
  #pingSeconds = DEFAULT_PING_S;
  #reconnectSeconds = DEFAULT_RECONNECT_S;
  #reconnectNonce = 0;
  #lastProblem = "";
  readonly #fragments = new Map<string, { parts: Uint8Array[]; started: number }>();

  private constructor(readonly settings: FeishuSettings, readonly hooks: ListenerHooks) {}

  /** Connects in the background; problems go to `hooks.problem`. */
  static start(settings: FeishuSettings, hooks: ListenerHooks): CardActionListener {
    const listener = new CardActionListener(settings, hooks);
    listener.#connectNow();
    return listener;
  }

  #problem(text: string): void {
    if (text === this.#lastProblem) return;
    this.#lastProblem = text;
    this.hooks.problem(`feishu: ${text}`);
  }

  async #endpoint(): Promise<string> {
    let body: Json;
    try {
      const response = await fetch(`${this.settings.site}/callback/ws/endpoint`, {
        method: "POST",
        headers: { "content-type": "application/json; charset=utf-8" },
        body: JSON.stringify({ AppID: this.settings.appId, AppSecret: this.settings.appSecret }),
        signal: AbortSignal.timeout(ENDPOINT_TIMEOUT_MS),
      });
      body = await response.json();
    } catch (err) {
      throw new FeishuError(`cannot reach ${this.settings.site}: ${(err as Error).message}`);
    }
    const data = (body.data ?? {}) as Json;
    if (body.code !== 0 || typeof data.URL !== "string") {
      throw new FeishuError(
        `Feishu refused the long connection (${body.msg ?? "no reason given"}, code ` +
          `${body.code}); turn on "receive events and callbacks through the persistent ` +
          `connection" in the app's console`,
      );
    }
    this.#configure((data.ClientConfig ?? {}) as ClientConfig);
    this.#service = Number(new URL(data.URL).searchParams.get("service_id") ?? 0);
    return data.URL;
  }

  #configure(config: ClientConfig): void {
    if (config.PingInterval) this.#pingSeconds = config.PingInterval;
    if (config.ReconnectInterval) this.#reconnectSeconds = config.ReconnectInterval;
    if (config.ReconnectNonce !== undefined) this.#reconnectNonce = config.ReconnectNonce;
  }

  #connectNow(): void {
    this.#connect().catch((err) => {
      this.#problem(`cannot open the card's connection: ${(err as Error).message}`);
      this.#reconnectLater();
    });
  }

  async #connect(): Promise<void> {
    let url: string;
    try {
      url = await this.#endpoint();
    } catch (err) {
      this.#problem(
        `${(err as Error).message}; the card shows the session, but its prompt box is not ` +
          `heard (trying again in ${this.#reconnectSeconds} s)`,
      );
      return this.#reconnectLater();
    }
    if (this.#closed) return;
    const socket = new WebSocket(url);
    socket.binaryType = "arraybuffer";
    this.#socket = socket;
    socket.onopen = () => {
      this.#lastProblem = "";
      this.#sendPing();
      this.#ping = setInterval(() => this.#sendPing(), this.#pingSeconds * 1000);
    };
    socket.onmessage = (event) => {
      if (event.data instanceof ArrayBuffer) {
        this.#receive(decodeFrame(new Uint8Array(event.data))).catch((err) =>
          this.#problem(`a card action could not be handled: ${(err as Error).message}`)
        );
      }
    };
    socket.onclose = () => {
      clearInterval(this.#ping);
      if (this.#socket !== socket || this.#closed) return;
      this.#socket = undefined;
      this.#problem(`the card's connection dropped; connecting again`);
      this.#reconnectLater();
    };
    socket.onerror = () => {}; // the close that follows says it
  }

  #reconnectLater(): void {
    if (this.#closed) return;
    const wait = (this.#reconnectSeconds + Math.random() * this.#reconnectNonce) * 1000;
    this.#retry = setTimeout(() => this.#connectNow(), wait);
  }

  #send(frame: Frame): void {
    if (this.#socket?.readyState === WebSocket.OPEN) this.#socket.send(encodeFrame(frame));
  }

  #sendPing(): void {
    this.#send({
      SeqID: 0,
      LogID: 0,
      service: this.#service,
      method: CONTROL,
      headers: [{ key: "type", value: "ping" }],
    });
  }

  /** A message's payload once all its fragments are in. */
  #assemble(frame: Frame): Uint8Array | undefined {
    const id = headerOf(frame, "message_id") ?? "";
    const sum = Number(headerOf(frame, "sum") ?? 1);
    const seq = Number(headerOf(frame, "seq") ?? 0);
    const payload = frame.payload ?? new Uint8Array();
    if (sum <= 1) return payload;
    const now = Date.now();
    for (const [key, entry] of this.#fragments) {
      if (now - entry.started > FRAGMENT_TTL_MS) this.#fragments.delete(key);
    }
    const entry = this.#fragments.get(id) ?? { parts: new Array(sum), started: now };
    entry.parts[seq] = payload;
    this.#fragments.set(id, entry);
    if (entry.parts.filter(Boolean).length < sum) return undefined;
    this.#fragments.delete(id);
    const whole = new Uint8Array(entry.parts.reduce((n, part) => n + part.length, 0));
    let at = 0;
    for (const part of entry.parts) {
      whole.set(part, at);
      at += part.length;
    }
    return whole;
  }

  async #receive(frame: Frame): Promise<void> {
    const type = headerOf(frame, "type");
    if (frame.method === CONTROL) {
      if (type === "pong" && frame.payload?.length) {
        this.#configure(payloadJson(frame.payload) as ClientConfig);
      }
      return;
    }
    if (frame.method !== DATA || type !== "event") return;
    const payload = this.#assemble(frame);
    if (!payload) return;
    const started = Date.now();
    const message = payloadJson(payload) as Json;
    const header = (message.header ?? {}) as Json;
    let answer: Json = { code: 200 };
    if (header.event_type === CARD_ACTION_EVENT) {
      const action = cardActionOf((message.event ?? {}) as Json);
      const toast: Toast = action
        ? await this.hooks.action(action)
        : { type: "info", content: "Nothing to do." };
      answer = { code: 200, data: base64Json({ toast }) };
    }
    this.#send({
      ...frame,
      headers: [...frame.headers, { key: "biz_rt", value: String(Date.now() - started) }],
      payload: jsonPayload(answer),
    });
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#ping);
    clearTimeout(this.#retry);
    this.#socket?.close();
    this.#socket = undefined;
  }
}
