// The HTTP side of the downstream: one POST per round, SSE read with an idle timeout, every
// failure turned into a DownstreamError that names the URL, and each exchange dumped on request.
import { Buffer } from "node:buffer";
import { createParser } from "eventsource-parser";
import { ChatStreamReader, toChatRequest } from "./chat.ts";
import { type Conversation, isTextFile } from "./conversation.ts";
import { type Dump, redactHeaders } from "./dump.ts";
import { isCredentialParameter, REDACTED, Secrets } from "./secrets.ts";
import { DownstreamError, downstreamHttpError } from "./errors.ts";
import type { DownstreamEvent, StreamReader } from "./events.ts";
import { MessagesStreamReader, toMessagesRequest } from "./messages.ts";
import type { ChatProfile } from "./chat_profiles.ts";
import { type TokenDump, TokenRecorder } from "./token_dump.ts";
import type { DownstreamClient } from "./response.ts";

export type DownstreamApi = "chat" | "messages";

export interface DownstreamOptions {
  /** The backend's base URL (`http://host:8000/v1`); a full endpoint URL is accepted too. */
  url: string;
  api: DownstreamApi;
  profile: ChatProfile;
  apiKey?: string;
  /** More headers for every backend request (a provider's `http_headers`). */
  extraHeaders?: Record<string, string>;
  /** A backend silent this long (before headers or between chunks) is treated as broken. */
  idleTimeoutMs: number;
  dump?: Dump;
  tokenDump?: TokenDump;
}

const ENDPOINT: Record<DownstreamApi, string> = {
  chat: "/chat/completions",
  messages: "/messages",
};
const ANTHROPIC_VERSION = "2023-06-01";
/**
 * The backend's URL as it is called and as it may be shown. The query string (`?api-version=…`)
 * stays after the endpoint's path; credentials in the URL (`user:pass@`, `?key=…`) are sent but
 * never shown: `display` has them replaced, and `secrets` lists them for scrubbing other text.
 * Only real credentials count (secrets.ts): the password, a user name without a password, values
 * of key-like query parameters; `?deployment=gpt4` is shown and scrubbed from nothing.
 */
export interface DownstreamTarget {
  endpoint: string;
  models: string;
  display: string;
  /** `Authorization: Basic …` from `user:pass@`, which fetch refuses inside a URL. */
  basicAuth?: string;
  secrets: string[];
}

export function downstreamTarget(url: string, api: DownstreamApi): DownstreamTarget {
  const parsed = new URL(url);
  const suffix = ENDPOINT[api];
  let path = parsed.pathname.replace(/\/+$/, "");
  if (path.endsWith(suffix)) path = path.slice(0, -suffix.length);
  const secrets: string[] = [];
  const user = decodeURIComponent(parsed.username);
  const password = decodeURIComponent(parsed.password);
  const basic = user || password ? Buffer.from(`${user}:${password}`).toString("base64") : "";
  secrets.push(password, parsed.password, basic);
  // `https://TOKEN@host` carries the credential as the user name; beside a password it is a name.
  if (!password) secrets.push(user, parsed.username);
  const shown: string[] = [];
  for (const [name, value] of parsed.searchParams) {
    const secret = isCredentialParameter(name);
    shown.push(`${encodeURIComponent(name)}=${secret ? REDACTED : encodeURIComponent(value)}`);
    if (secret) secrets.push(value, encodeURIComponent(value));
  }
  const base = parsed.origin + path;
  const query = parsed.search;
  return {
    endpoint: base + suffix + query,
    models: `${base}/models${query}`,
    display: base + suffix + (shown.length > 0 ? `?${shown.join("&")}` : ""),
    ...(basic ? { basicAuth: `Basic ${basic}` } : {}),
    secrets: [...new Set(secrets.filter((s) => s.length > 0))],
  };
}

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
  readonly target: DownstreamTarget;
  readonly #secrets: Secrets;

  constructor(readonly options: DownstreamOptions) {
    this.target = downstreamTarget(options.url, options.api);
    this.#secrets = new Secrets([options.apiKey, ...this.target.secrets]);
  }

  /** The endpoint as it may be shown: in logs, dumps and errors sent to clients. */
  get endpoint(): string {
    return this.target.display;
  }

  /** `text` with the backend key and any credential from its URL replaced. */
  scrub(text: string): string {
    return this.#secrets.scrub(text);
  }

  /** Why this backend cannot take a file part, or undefined when it can (see input.ts). */
  fileRefusal(file: { mediaType: string; url?: string }): string | undefined {
    const { api, profile } = this.options;
    if (isTextFile(file.mediaType)) {
      return file.url === undefined
        ? undefined
        : "text files are passed on as their text, so send them as file_data, not file_url";
    }
    if (file.mediaType !== "application/pdf") {
      return `a ${file.mediaType} file cannot be passed to the backend; PDF and text files can`;
    }
    if (api === "messages") return undefined;
    if (!profile.fileParts) {
      return `the backend (chat profile ${profile.name}) takes no PDF files; extract the text ` +
        "and send it as input_text";
    }
    return file.url === undefined
      ? undefined
      : "a chat-completions backend takes files as data only: send file_data, not file_url";
  }

  headers(accept: string): Record<string, string> {
    const headers: Record<string, string> = {
      ...this.options.extraHeaders,
      "content-type": "application/json",
      accept,
    };
    const key = this.options.apiKey;
    if (this.options.api === "messages") {
      headers["anthropic-version"] = ANTHROPIC_VERSION;
      if (key) headers["x-api-key"] = key;
    } else if (key) {
      headers["authorization"] = `Bearer ${key}`;
    }
    if (this.target.basicAuth && !headers["authorization"]) {
      headers["authorization"] = this.target.basicAuth;
    }
    return headers;
  }

  requestBody(conversation: Conversation): unknown {
    const body = this.options.api === "chat"
      ? toChatRequest(conversation, this.options.profile)
      : toMessagesRequest(conversation);
    // vLLM's token ids: always while they are dumped, otherwise as the client asked.
    const tokenIds = this.options.tokenDump ? true : conversation.returnTokenIds;
    return tokenIds === undefined ? body : { ...body, return_token_ids: tokenIds };
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
          : `downstream ${this.endpoint} sent no events for ${ms} ms mid-stream`,
        "server_error",
        "downstream_timeout",
      );
    }
    return new DownstreamError(
      `downstream ${this.endpoint} ${
        stage === "connect" ? "could not be reached" : "broke off its stream"
      }: ${this.scrub((err as Error).message)}`,
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
    const sent = Date.now() / 1000;
    let tokens: TokenRecorder | undefined;
    try {
      let response: Response;
      try {
        response = await fetch(this.target.endpoint, {
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
        // A backend may echo the key or URL it was sent; the excerpt goes to the client.
        const text = this.scrub(await response.text().catch(() => ""));
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
      if (this.options.tokenDump) tokens = new TokenRecorder(sent);
      // One parse per network read, not per event: under load a read holds many events, and
      // passing them on as one batch keeps the per-event cost of the streams machinery away.
      let batch: DownstreamEvent[] = [];
      const parser = createParser({
        onEvent: (message) => {
          // Only events count as signs of life: a backend that sends nothing but keep-alive
          // comments (which never reach here) or pings is as stuck as a silent one.
          if (message.event !== "ping") idle.touch();
          if (this.options.dump) chunks.push(message.data);
          tokens?.read(message.data);
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
      if (err instanceof DownstreamError) err.message = this.scrub(err.message);
      record.error = (err as Error).message;
      throw err;
    } finally {
      idle.stop();
      if (tokens) this.options.tokenDump!.write(tokens);
      if (this.options.dump) {
        if (chunks.length > 0) record.chunks = chunks;
        this.options.dump.write(record);
      }
    }
  }

  /** GET {base}/models, answered as the downstream answered it, or 502 when unreachable. */
  async models(): Promise<Response> {
    try {
      const response = await fetch(this.target.models, {
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
          message: `downstream ${this.endpoint} could not be reached: ${
            this.scrub((err as Error).message)
          }`,
          type: "downstream_error",
          code: "downstream_unreachable",
        },
      }, { status: 502 });
    }
  }
}
