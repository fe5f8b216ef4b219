// The Responses client: one POST to `{base_url}/responses`, SSE bytes → typed events.
import {
  isKnownEvent,
  MalformedEventError,
  parseEvent,
  readSse,
  type ResponseEvent,
  type ResponsesRequest,
} from "../protocol/mod.ts";
import { ResponseFailedError, ResponsesHttpError, ResponsesStreamError } from "./errors.ts";

export interface ProviderEndpoint {
  baseUrl: string;
  /** Sent as `Authorization: Bearer …` when set. */
  apiKey?: string;
  headers?: Record<string, string>;
  queryParams?: Record<string, string>;
  /** A stream that stays silent this long is treated as broken. */
  streamIdleTimeoutMs: number;
}

export function endpointUrl(endpoint: ProviderEndpoint, path: string): string {
  const url = new URL(`${endpoint.baseUrl.replace(/\/+$/, "")}/${path}`);
  for (const [key, value] of Object.entries(endpoint.queryParams ?? {})) {
    url.searchParams.set(key, value);
  }
  return url.toString();
}

function retryAfterMs(headers: Headers): number | undefined {
  const value = headers.get("retry-after");
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}

export class ResponsesClient {
  constructor(readonly endpoint: ProviderEndpoint) {}

  /**
   * Streams one attempt. Ends after the terminal `response.completed`; throws typed errors for
   * HTTP failures, `response.failed`, broken or idle streams. `response.incomplete` is yielded.
   */
  async *stream(
    body: ResponsesRequest,
    options: { signal?: AbortSignal; headers?: Record<string, string> } = {},
  ): AsyncGenerator<ResponseEvent> {
    const url = endpointUrl(this.endpoint, "responses");
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "accept": "text/event-stream",
      ...this.endpoint.headers,
      ...options.headers,
    };
    if (this.endpoint.apiKey) headers["authorization"] = `Bearer ${this.endpoint.apiKey}`;
    const idle = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, idle.signal]) : idle.signal;
    let response: Response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers,
        body: JSON.stringify(body),
        signal,
        redirect: "error",
      });
    } catch (err) {
      if (options.signal?.aborted) throw err;
      throw new ResponsesStreamError(`could not reach ${url}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    if (!response.ok) {
      const text = await response.text().catch(() => "");
      throw new ResponsesHttpError(response.status, text, url, retryAfterMs(response.headers));
    }
    if (!response.body) throw new ResponsesStreamError(`empty response body from ${url}`);

    const reader = readSse(response.body).getReader();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const armIdleTimer = () => {
      clearTimeout(timer);
      timer = setTimeout(() => idle.abort(), this.endpoint.streamIdleTimeoutMs);
    };
    try {
      armIdleTimer();
      while (true) {
        let next: ReadableStreamReadResult<{ event?: string; data: string }>;
        try {
          next = await reader.read();
        } catch (err) {
          if (options.signal?.aborted) throw err;
          if (idle.signal.aborted) {
            throw new ResponsesStreamError(
              `no data from ${url} for ${this.endpoint.streamIdleTimeoutMs} ms (stream_idle_timeout_ms)`,
            );
          }
          throw new ResponsesStreamError(`stream from ${url} broke: ${(err as Error).message}`, {
            cause: err,
          });
        }
        if (next.done) break;
        armIdleTimer();
        const message = next.value;
        if (message.data === "[DONE]") break;
        let event: ResponseEvent;
        try {
          event = parseEvent(message.data, message.event);
        } catch (err) {
          if (err instanceof MalformedEventError) {
            throw new ResponsesStreamError(err.message, { cause: err });
          }
          throw err;
        }
        if (isKnownEvent(event)) {
          if (event.type === "response.failed") {
            const error = event.response.error;
            throw new ResponseFailedError(
              error?.code ?? undefined,
              error?.message ?? "response.failed without an error",
            );
          }
          if (event.type === "error") {
            throw new ResponseFailedError(event.code ?? undefined, event.message ?? "error event");
          }
        }
        yield event;
        if (event.type === "response.completed" || event.type === "response.incomplete") return;
      }
      throw new ResponsesStreamError("stream closed before response.completed");
    } finally {
      clearTimeout(timer);
      reader.cancel().catch(() => {});
    }
  }
}
