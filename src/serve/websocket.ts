// The WebSocket mode of /v1/responses (Open Responses, 2026-04-24): one socket carries many
// responses, one at a time. Each client message is a `response.create` event (the HTTP create
// body plus `type`); the server answers with the same event objects the HTTP stream carries, one
// per message, and keeps every response made on the socket in a connection-local cache, so a turn
// can continue from `previous_response_id` even with `store: false`. A continuation that fails
// evicts the response it continued, here and in the shared store, so nobody resumes from state
// the server gave up on; the client starts a new chain with its full input. Failures that are not
// a response (bad JSON, an unknown event, a missing previous response) are `error` events with an
// HTTP-like status, and the socket stays open. A socket lives at most `maxAgeMs`.
import type { ServerSocket, SocketHandlers } from "../platform/mod.ts";
import { RequestError } from "./errors.ts";
import type { ResponsesProxy } from "./proxy.ts";
import { parseJsonObject } from "./request_body.ts";
import { LayeredResponseStore, MemoryResponseStore } from "./response_store.ts";

export interface SocketLimits {
  /** How long a connection may live; then `websocket_connection_limit_reached` and a close. */
  maxAgeMs: number;
  /** The largest message accepted, as for HTTP bodies. */
  maxMessageBytes: number;
}

/** The Open Responses limit on a connection's age. */
export const DEFAULT_SOCKET_AGE_MS = 60 * 60 * 1000;
/** Messages waiting behind the response in flight; more is a client that does not wait. */
const MAX_PENDING = 16;
/** What one connection keeps of its own responses (a chain needs every link). */
const LOCAL_CACHE = { entries: 10_000, bytes: 64 * 1024 * 1024 };
/** Fields of the HTTP body that mean nothing on a socket (every response streams). */
const TRANSPORT_FIELDS = ["type", "stream", "stream_options"];
const CLOSE_NORMAL = 1000;

export class ResponsesSocket implements SocketHandlers {
  readonly #local = new MemoryResponseStore(LOCAL_CACHE);
  readonly #view: LayeredResponseStore;
  readonly #gone = new AbortController();
  #socket?: ServerSocket;
  #turns: Promise<void> = Promise.resolve();
  #pending = 0;
  #expired = false;
  #timer?: ReturnType<typeof setTimeout>;

  constructor(
    readonly proxy: ResponsesProxy,
    readonly headers: Headers,
    readonly limits: SocketLimits,
  ) {
    this.#view = new LayeredResponseStore(this.#local, proxy.store);
  }

  open(socket: ServerSocket): void {
    this.#socket = socket;
    this.#timer = setTimeout(() => {
      this.#expired = true;
      this.#turns = this.#turns.then(() => this.#expire());
    }, this.limits.maxAgeMs);
  }

  message(data: string | Uint8Array): void {
    if (this.#pending >= MAX_PENDING) {
      this.#error(
        new RequestError(
          429,
          `${MAX_PENDING} response.create messages are already waiting on this connection; ` +
            "send the next one after the current response's terminal event",
          "too_many_pending_requests",
        ),
      );
      return;
    }
    this.#pending++;
    this.#turns = this.#turns.then(() => this.#turn(data)).finally(() => this.#pending--);
  }

  close(): void {
    clearTimeout(this.#timer);
    this.#gone.abort();
  }

  get #closed(): boolean {
    return this.#gone.signal.aborted;
  }

  #send(event: Record<string, unknown>): void {
    if (!this.#closed) this.#socket?.send(JSON.stringify(event));
  }

  #error(err: RequestError): void {
    this.#send({ type: "error", status: err.status, error: err.body });
  }

  #expire(): void {
    if (this.#closed) return;
    this.#error(
      new RequestError(
        400,
        `this WebSocket connection reached its age limit of ${this.limits.maxAgeMs} ms; ` +
          "open a new connection to continue",
        "websocket_connection_limit_reached",
      ),
    );
    this.#socket?.close(CLOSE_NORMAL, "connection age limit reached");
    this.close();
  }

  /** The event a message asks for, as a create body, or the RequestError saying what is wrong. */
  #request(data: string | Uint8Array): Record<string, unknown> {
    if (typeof data !== "string") {
      throw new RequestError(
        400,
        "binary WebSocket messages are not accepted; send each response.create as JSON text",
        "invalid_message",
      );
    }
    if (data.length > this.limits.maxMessageBytes) {
      throw new RequestError(
        413,
        `message is larger than this server's limit of ${this.limits.maxMessageBytes} bytes ` +
          "(--max-body-bytes)",
        "request_too_large",
      );
    }
    const event = parseJsonObject(data);
    if (event.type !== "response.create") {
      throw new RequestError(
        400,
        `unknown event type ${JSON.stringify(event.type)}; this socket accepts response.create`,
        "unknown_event_type",
        "type",
      );
    }
    if (event.background === true) {
      throw new RequestError(
        400,
        "background responses are not available over a WebSocket; use POST /v1/responses",
        "unsupported_parameter",
        "background",
      );
    }
    return Object.fromEntries(
      Object.entries(event).filter(([key]) => !TRANSPORT_FIELDS.includes(key)),
    );
  }

  async #turn(data: string | Uint8Array): Promise<void> {
    if (this.#closed) return;
    if (this.#expired) return this.#expire();
    let previous: string | undefined;
    // Before the client hears of a failure: once it has, the eviction has happened everywhere.
    const evict = async () => {
      if (!previous) return;
      await this.#view.evict(previous).catch((err) =>
        this.proxy.options.log?.(`${previous} could not be evicted: ${(err as Error).message}`)
      );
    };
    try {
      const raw = this.#request(data);
      const { body, input } = await this.proxy.check(raw, this.#view);
      previous = body.previous_response_id ?? undefined;
      const events = await this.proxy.create(raw, body, input, {
        path: "/v1/responses (websocket)",
        headers: this.headers,
        signal: this.#gone.signal,
        local: this.#local,
        warmup: raw.generate === false,
      });
      for await (const batch of events) {
        if (batch[batch.length - 1].type === "response.failed") await evict();
        for (const event of batch) this.#send(event);
      }
    } catch (err) {
      if (this.#closed) return; // the client left; its turn ends with it
      if (!(err instanceof RequestError)) {
        this.proxy.options.log?.(`internal error: ${(err as Error)?.message ?? err}`);
      }
      await evict();
      this.#error(
        err instanceof RequestError ? err : new RequestError(
          500,
          "the proxy failed to handle this response; its log has the cause",
          "internal_error",
        ),
      );
    }
  }
}
