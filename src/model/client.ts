// The Responses client: POST `{base_url}/responses`, SSE bytes → typed events. One call to
// `stream()` is one sampling attempt; inside it, a request that fails before its stream starts
// (5xx, no connection) is re-sent up to `request_max_retries` times, as upstream does. Retrying a
// whole attempt (broken or idle stream) is the caller's job: see sample.ts.
import { looksSecret, type Secret } from "../config/mod.ts";
import {
  isContextOverflow,
  isKnownEvent,
  MalformedEventError,
  parseEvent,
  readSse,
  type ResponseEvent,
} from "../protocol/mod.ts";
import {
  ContextWindowExceededError,
  type RequestTarget,
  ResponseFailedError,
  ResponsesHttpError,
  ResponsesStreamError,
} from "./errors.ts";
import type { BuiltRequest } from "./request.ts";
import { backoffMs, wait } from "./retry.ts";

export interface ProviderEndpoint {
  /** The provider id, named in error messages; defaults to the base URL's host. */
  id?: string;
  baseUrl: string;
  /** Sent as `authorization: Bearer …` when set. */
  apiKey?: Secret;
  /** The variable the key came from, named when the server rejects it. */
  envKey?: string;
  headers?: Record<string, string>;
  queryParams?: Record<string, string>;
  /** Re-sends of a request that failed before its stream started; default 0. */
  requestMaxRetries?: number;
  /** Longest silence tolerated while waiting for the response and between stream chunks. */
  streamIdleTimeoutMs: number;
}

export function endpointUrl(endpoint: ProviderEndpoint, path: string): string {
  const url = new URL(`${endpoint.baseUrl.replace(/\/+$/, "")}/${path}`);
  for (const [key, value] of Object.entries(endpoint.queryParams ?? {})) {
    url.searchParams.set(key, value);
  }
  return url.toString();
}

/** The URL for messages: query parameters that may carry a credential (`key=…`) are masked. */
export function displayUrl(url: string): string {
  const parsed = new URL(url);
  const query = [...parsed.searchParams].map(([name, value]) =>
    `${name}=${looksSecret(name) || /sig|auth/i.test(name) ? "<redacted>" : value}`
  );
  return `${parsed.origin}${parsed.pathname}${query.length ? `?${query.join("&")}` : ""}`;
}

/** `retry-after-ms`, else `retry-after` (seconds or an HTTP date). */
export function retryAfterMs(headers: Headers): number | undefined {
  const ms = Number(headers.get("retry-after-ms") ?? NaN);
  if (Number.isFinite(ms)) return ms;
  const value = headers.get("retry-after");
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}

/** Aborts when no progress was reported for `ms`; each `arm()` restarts the countdown. */
class IdleTimer {
  readonly controller = new AbortController();
  #timer?: ReturnType<typeof setTimeout>;

  constructor(readonly ms: number) {}

  arm(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.controller.abort(), this.ms);
  }

  clear(): void {
    clearTimeout(this.#timer);
  }

  get fired(): boolean {
    return this.controller.signal.aborted;
  }
}

export class ResponsesClient {
  readonly url: string;
  /** How errors name this endpoint. */
  readonly target: RequestTarget;

  constructor(readonly endpoint: ProviderEndpoint) {
    this.url = endpointUrl(endpoint, "responses");
    this.target = {
      provider: endpoint.id ?? new URL(endpoint.baseUrl).host,
      url: displayUrl(this.url),
      envKey: endpoint.envKey,
    };
  }

  /** The provider's headers, the request's, and the credential. */
  #headers(extra: Record<string, string>): Record<string, string> {
    const headers: Record<string, string> = { ...this.endpoint.headers, ...extra };
    if (this.endpoint.apiKey) headers["authorization"] = `Bearer ${this.endpoint.apiKey.reveal()}`;
    return headers;
  }

  async #httpError(response: Response): Promise<Error> {
    const raw = await response.text().catch(() => "");
    const body = this.endpoint.apiKey ? this.endpoint.apiKey.redact(raw) : raw;
    if (response.status === 400 && isContextOverflow(body)) {
      return new ContextWindowExceededError(body, this.target);
    }
    return new ResponsesHttpError(
      response.status,
      response.statusText,
      body,
      this.target,
      retryAfterMs(response.headers),
    );
  }

  /** What a failed fetch or read means: the caller's abort, silence, or a broken connection. */
  #transportFailure(
    err: unknown,
    phase: "connect" | "broken",
    idle: IdleTimer,
    signal?: AbortSignal,
  ): unknown {
    if (signal?.aborted) return err;
    const limit = `${idle.ms} ms (stream_idle_timeout_ms)`;
    if (idle.fired) {
      const detail = phase === "connect"
        ? `no response within ${limit}`
        : `the stream went quiet for ${limit}`;
      return new ResponsesStreamError("idle", detail, this.target);
    }
    const what = phase === "connect" ? "could not connect" : "the stream broke";
    return new ResponsesStreamError(phase, `${what}: ${(err as Error).message}`, this.target, {
      cause: err,
    });
  }

  /** One POST, bounded by the idle timer while waiting for the response headers. */
  async #post(request: BuiltRequest, idle: IdleTimer, signal?: AbortSignal): Promise<Response> {
    idle.arm();
    let response: Response;
    try {
      response = await fetch(this.url, {
        method: "POST",
        headers: {
          accept: "text/event-stream",
          "content-type": "application/json",
          ...this.#headers(request.headers),
        },
        body: JSON.stringify(request.body),
        signal: signal ? AbortSignal.any([signal, idle.controller.signal]) : idle.controller.signal,
        redirect: "error",
      });
    } catch (err) {
      throw this.#transportFailure(err, "connect", idle, signal);
    }
    if (!response.ok) throw await this.#httpError(response);
    return response;
  }

  /** POSTs until the stream starts, re-sending after 5xx answers and connection failures. */
  async #open(request: BuiltRequest, signal?: AbortSignal) {
    for (let attempt = 0;; attempt++) {
      const idle = new IdleTimer(this.endpoint.streamIdleTimeoutMs);
      try {
        return { response: await this.#post(request, idle, signal), idle };
      } catch (err) {
        idle.clear();
        const resend = (err instanceof ResponsesHttpError && err.status >= 500) ||
          (err instanceof ResponsesStreamError && err.failure === "connect");
        if (!resend || attempt >= (this.endpoint.requestMaxRetries ?? 0)) throw err;
      }
      await wait(backoffMs(attempt + 1), signal);
    }
  }

  #failure(code: string | null | undefined, message: string): Error {
    if (isContextOverflow(message, code)) {
      return new ContextWindowExceededError(message, this.target);
    }
    return new ResponseFailedError(code ?? undefined, message, this.target);
  }

  /**
   * The model ids the provider lists at GET `/models`: the OpenAI shape (`data[].id`) or Codex's
   * (`models[].slug`), in the provider's order. Errors are the typed ones a request would throw.
   */
  async listModels(signal?: AbortSignal): Promise<string[]> {
    const url = endpointUrl(this.endpoint, "models");
    const idle = new IdleTimer(this.endpoint.streamIdleTimeoutMs);
    idle.arm();
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { accept: "application/json", ...this.#headers({}) },
        signal: signal ? AbortSignal.any([signal, idle.controller.signal]) : idle.controller.signal,
        redirect: "error",
      });
      if (!response.ok) throw await this.#httpError(response);
      const body = await response.json() as {
        data?: Array<{ id?: unknown }>;
        models?: Array<{ slug?: unknown }>;
      };
      const ids = [
        ...(body.data ?? []).map((model) => model.id),
        ...(body.models ?? []).map((model) => model.slug),
      ];
      return [...new Set(ids.filter((id): id is string => typeof id === "string"))];
    } catch (err) {
      if (err instanceof ResponsesHttpError) throw err;
      throw this.#transportFailure(err, "connect", idle, signal);
    } finally {
      idle.clear();
    }
  }

  /**
   * Streams one attempt. Ends after the terminal `response.completed` or `response.incomplete`;
   * throws typed errors for HTTP failures, `response.failed`, broken, idle or garbled streams.
   */
  async *stream(
    request: BuiltRequest,
    /** `onOpen`: the provider accepted the request and its stream begins (before any event). */
    options: { signal?: AbortSignal; onOpen?: () => void } = {},
  ): AsyncGenerator<ResponseEvent> {
    const { signal } = options;
    const { response, idle } = await this.#open(request, signal);
    options.onOpen?.();
    idle.arm();
    if (!response.body) {
      idle.clear();
      throw new ResponsesStreamError("closed", "the response has no body", this.target);
    }
    const messages = readSse(response.body);
    try {
      while (true) {
        let next: IteratorResult<{ event?: string; data: string }>;
        try {
          next = await messages.next();
        } catch (err) {
          throw this.#transportFailure(err, "broken", idle, signal);
        }
        if (next.done) break;
        idle.arm();
        const message = next.value;
        if (message.data === "[DONE]") break;
        let event: ResponseEvent;
        try {
          event = parseEvent(message.data, message.event);
        } catch (err) {
          if (!(err instanceof MalformedEventError)) throw err;
          throw new ResponsesStreamError("malformed", err.message, this.target, { cause: err });
        }
        if (isKnownEvent(event)) {
          if (event.type === "response.failed") {
            const error = event.response.error;
            throw this.#failure(error?.code, error?.message ?? "response.failed without an error");
          }
          if (event.type === "error") {
            throw this.#failure(event.code, event.message ?? "an error event without a message");
          }
        }
        yield event;
        if (event.type === "response.completed" || event.type === "response.incomplete") return;
      }
      throw new ResponsesStreamError(
        "closed",
        "the stream ended before response.completed",
        this.target,
      );
    } finally {
      idle.clear();
      messages.return().catch(() => {});
    }
  }
}
