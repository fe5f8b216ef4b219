// A WebSocket client for tests of serve's WebSocket mode: the runtime's own `WebSocket`, with
// every wait bounded by a deadline.
import { within } from "../testing/mod.ts";
import { rawHttp, type RawResponse } from "./testing.ts";

type Json = Record<string, unknown>;

const TERMINAL = new Set(["response.completed", "response.incomplete", "response.failed", "error"]);

export class SocketClient {
  readonly #messages: Json[] = [];
  #waiting?: () => void;
  readonly closed = Promise.withResolvers<{ code: number; reason: string }>();

  private constructor(readonly socket: WebSocket) {
    socket.onmessage = (event) => {
      this.#messages.push(JSON.parse(String(event.data)));
      this.#waiting?.();
    };
    socket.onclose = (event) => {
      this.closed.resolve({ code: event.code, reason: event.reason });
      this.#waiting?.();
    };
  }

  /** Opens `url` (http(s) or ws(s); `/v1` base URLs get `/responses`), sending `headers`. */
  static async connect(url: string, headers: Record<string, string> = {}): Promise<SocketClient> {
    const target = url.replace(/^http/, "ws").replace(/\/v1$/, "/v1/responses");
    // Deno and Bun both take headers in the second argument; the Web standard does not.
    const socket = new WebSocket(target, { headers } as unknown as string[]);
    const opened = new Promise<void>((resolve, reject) => {
      socket.onopen = () => resolve();
      socket.onerror = () => reject(new Error(`WebSocket to ${target} failed to open`));
    });
    await within(opened, `opening ${target}`);
    return new SocketClient(socket);
  }

  send(event: Json | string): void {
    this.socket.send(typeof event === "string" ? event : JSON.stringify(event));
  }

  /** The next message from the server. */
  async next(): Promise<Json> {
    const arrived = async () => {
      while (this.#messages.length === 0) {
        if (this.socket.readyState === WebSocket.CLOSED) throw new Error("the socket closed");
        await new Promise<void>((resolve) => (this.#waiting = resolve));
      }
      return this.#messages.shift()!;
    };
    return await within(arrived(), "the next WebSocket message");
  }

  /** Messages up to and including the next terminal event or `error` event. */
  async untilTerminal(): Promise<Json[]> {
    const events: Json[] = [];
    while (true) {
      const event = await this.next();
      events.push(event);
      if (TERMINAL.has(String(event.type))) return events;
    }
  }

  /** Sends one `response.create` with `body` and returns its events. */
  turn(body: Json): Promise<Json[]> {
    this.send({ type: "response.create", model: "test-model", ...body });
    return this.untilTerminal();
  }

  async close(): Promise<void> {
    this.socket.close();
    await within(this.closed.promise, "the WebSocket closing");
  }
}

/** The response object of a turn's terminal event. */
export function finalResponse(events: Json[]): Json {
  const last = events[events.length - 1];
  if (!last?.response) throw new Error(`no terminal response: ${JSON.stringify(last)}`);
  return last.response as Json;
}

/** A WebSocket upgrade of `/v1/responses` sent by hand, with `extra` header lines (`Name: v\r\n`). */
export function rawUpgrade(proxyUrl: string, extra: string): Promise<RawResponse> {
  const { host } = new URL(proxyUrl);
  return rawHttp(
    proxyUrl,
    `GET /v1/responses HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\n` +
      `Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n` +
      `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${extra}\r\n`,
  );
}
