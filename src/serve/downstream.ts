// The HTTP side of the downstream: one POST per round, SSE read with an idle timeout, every
// failure turned into a DownstreamError that names the URL, and each exchange dumped on request.
import { createParser } from "eventsource-parser";
import { ChatStreamReader, toChatRequest } from "./chat.ts";
import type { Conversation } from "./conversation.ts";
import { type Dump, redactHeaders } from "./dump.ts";
import { DownstreamError, downstreamHttpError } from "./errors.ts";
import type { DownstreamEvent, StreamReader } from "./events.ts";
import { MessagesStreamReader, toMessagesRequest } from "./messages.ts";
import type { ChatProfile } from "./providers.ts";
import type { DownstreamClient } from "./response.ts";

export type DownstreamApi = "chat" | "messages";

export interface DownstreamOptions {
  /** The backend's base URL (`http://host:8000/v1`); a full endpoint URL is accepted too. */
  url: string;
  api: DownstreamApi;
  profile: ChatProfile;
  apiKey?: string;
  /** A backend silent this long (before headers or between chunks) is treated as broken. */
  idleTimeoutMs: number;
  dump?: Dump;
}

const ENDPOINT: Record<DownstreamApi, string> = {
  chat: "/chat/completions",
  messages: "/messages",
};
const ANTHROPIC_VERSION = "2023-06-01";

/**
 * Aborts after `ms` without a `touch()`. One timer per quiet period rather than one per chunk:
 * re-arming a timer for every chunk of a fast stream costs more than the chunk itself.
 */
class IdleWatch {
  readonly #controller = new AbortController();
  #last = Date.now();
  #timer: ReturnType<typeof setTimeout>;

  constructor(readonly ms: number) {
    this.#timer = setTimeout(this.#check, ms);
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  touch(): void {
    this.#last = Date.now();
  }

  #check = () => {
    const quiet = Date.now() - this.#last;
    if (quiet >= this.ms) this.#controller.abort();
    else this.#timer = setTimeout(this.#check, this.ms - quiet);
  };

  stop(): void {
    clearTimeout(this.#timer);
  }
}

export class Downstream implements DownstreamClient {
  readonly base: string;
  readonly endpoint: string;

  constructor(readonly options: DownstreamOptions) {
    const trimmed = options.url.replace(/\/+$/, "");
    const suffix = ENDPOINT[options.api];
    this.base = trimmed.endsWith(suffix) ? trimmed.slice(0, -suffix.length) : trimmed;
    this.endpoint = this.base + suffix;
  }

  headers(accept: string): Record<string, string> {
    const headers: Record<string, string> = { "content-type": "application/json", accept };
    const key = this.options.apiKey;
    if (this.options.api === "messages") {
      headers["anthropic-version"] = ANTHROPIC_VERSION;
      if (key) headers["x-api-key"] = key;
    } else if (key) {
      headers["authorization"] = `Bearer ${key}`;
    }
    return headers;
  }

  requestBody(conversation: Conversation): unknown {
    return this.options.api === "chat"
      ? toChatRequest(conversation, this.options.profile)
      : toMessagesRequest(conversation);
  }

  #reader(): StreamReader {
    return this.options.api === "chat"
      ? new ChatStreamReader(this.endpoint)
      : new MessagesStreamReader(this.endpoint);
  }

  /** A thrown fetch or read error, named for what it means; a client that left is rethrown. */
  #broken(err: unknown, client: AbortSignal, idle: AbortSignal, stage: "connect" | "read") {
    if (client.aborted) return err;
    const ms = this.options.idleTimeoutMs;
    if (idle.aborted) {
      return new DownstreamError(
        stage === "connect"
          ? `downstream ${this.endpoint} sent no response for ${ms} ms`
          : `downstream ${this.endpoint} went silent mid-stream for ${ms} ms`,
        "server_error",
        "downstream_timeout",
      );
    }
    return new DownstreamError(
      `downstream ${this.endpoint} ${
        stage === "connect" ? "could not be reached" : "broke off its stream"
      }: ${(err as Error).message}`,
      "server_error",
      "downstream_unreachable",
    );
  }

  async *stream(
    conversation: Conversation,
    context: { signal: AbortSignal; responseId: string; round: number },
  ): AsyncGenerator<DownstreamEvent[]> {
    const body = this.requestBody(conversation);
    const headers = this.headers("text/event-stream");
    const idle = new IdleWatch(this.options.idleTimeoutMs);
    const signal = AbortSignal.any([context.signal, idle.signal]);
    const record: Record<string, unknown> = {
      kind: "downstream",
      response_id: context.responseId,
      round: context.round,
      url: this.endpoint,
      headers: redactHeaders(headers),
      body,
    };
    const chunks: string[] = [];
    try {
      let response: Response;
      try {
        response = await fetch(this.endpoint, {
          method: "POST",
          headers,
          body: JSON.stringify(body),
          signal,
        });
      } catch (err) {
        throw this.#broken(err, context.signal, idle.signal, "connect");
      }
      record.status = response.status;
      if (!response.ok) {
        // A backend may echo the key it was sent; the excerpt goes to the client.
        const key = this.options.apiKey;
        const raw = await response.text().catch(() => "");
        const text = key ? raw.replaceAll(key, "<redacted>") : raw;
        record.response_body = text;
        throw downstreamHttpError(response.status, this.endpoint, text);
      }
      if (!response.body) {
        throw new DownstreamError(
          `downstream ${this.endpoint} answered with an empty body`,
          "server_error",
        );
      }
      const reader = this.#reader();
      // One parse per network read, not per event: under load a read holds many events, and
      // passing them on as one batch keeps the per-event cost of the streams machinery away.
      let batch: DownstreamEvent[] = [];
      const parser = createParser({
        onEvent: (message) => {
          if (this.options.dump) chunks.push(message.data);
          batch.push(...reader.read(message.data, message.event));
        },
      });
      const bytes = response.body.getReader();
      const decoder = new TextDecoder();
      try {
        while (true) {
          let next: ReadableStreamReadResult<Uint8Array>;
          try {
            next = await bytes.read();
          } catch (err) {
            throw this.#broken(err, context.signal, idle.signal, "read");
          }
          if (next.done) break;
          idle.touch();
          parser.feed(decoder.decode(next.value, { stream: true }));
          if (batch.length > 0) {
            yield batch;
            batch = [];
          }
        }
        parser.feed(decoder.decode() + "\n\n");
        if (batch.length > 0) yield batch;
        reader.end();
      } finally {
        bytes.cancel().catch(() => {});
      }
    } catch (err) {
      record.error = (err as Error).message;
      throw err;
    } finally {
      idle.stop();
      if (this.options.dump) {
        if (chunks.length > 0) record.chunks = chunks;
        this.options.dump.write(record);
      }
    }
  }

  /** GET {base}/models, answered as the downstream answered it, or 502 when unreachable. */
  async models(): Promise<Response> {
    const url = `${this.base}/models`;
    try {
      const response = await fetch(url, {
        headers: this.headers("application/json"),
        signal: AbortSignal.timeout(this.options.idleTimeoutMs),
      });
      return new Response(await response.text(), {
        status: response.status,
        headers: { "content-type": response.headers.get("content-type") ?? "application/json" },
      });
    } catch (err) {
      return Response.json({
        error: {
          message: `downstream ${url} could not be reached: ${(err as Error).message}`,
          type: "downstream_error",
          code: "downstream_unreachable",
        },
      }, { status: 502 });
    }
  }
}
