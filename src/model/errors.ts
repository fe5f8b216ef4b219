// Typed errors of the Responses client, classified in one place.

/** The server answered with a non-2xx status. */
export class ResponsesHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly url: string,
    readonly retryAfterMs?: number,
  ) {
    super(`responses request to ${url} failed with status ${status}: ${body.slice(0, 500)}`);
    this.name = "ResponsesHttpError";
  }
}

/** The connection failed, broke, went idle, or ended before a terminal event. */
export class ResponsesStreamError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ResponsesStreamError";
  }
}

/** The server sent `response.failed` (or an `error` event). */
export class ResponseFailedError extends Error {
  constructor(readonly code: string | undefined, message: string) {
    super(code ? `${message} (${code})` : message);
    this.name = "ResponseFailedError";
  }
}

/** The server sent `response.incomplete`: output stopped early, e.g. at max_output_tokens. */
export class ResponseIncompleteError extends Error {
  constructor(readonly reason: string | undefined) {
    super(`the response was incomplete${reason ? `: ${reason}` : ""}`);
    this.name = "ResponseIncompleteError";
  }
}

export type ErrorKind = "retryable" | "context_overflow" | "auth" | "quota" | "fatal";

export interface Classified {
  kind: ErrorKind;
  /** A server-suggested wait before retrying, when it gave one. */
  retryAfterMs?: number;
}

const CONTEXT_OVERFLOW =
  /context_length_exceeded|maximum context length|exceeds the context window|exceeded the context window/i;
const NON_RETRYABLE_CODES = new Set([
  "insufficient_quota",
  "invalid_prompt",
  "model_output_invalid",
  "usage_not_included",
]);

/** The server's hint in messages like "Please try again in 1.5s" or "in 300ms". */
export function retryHintMs(message: string): number | undefined {
  const match = /try again in\s*([\d.]+)\s*(ms|s|seconds?)\b/i.exec(message);
  if (!match) return undefined;
  const value = Number(match[1]);
  return match[2].toLowerCase() === "ms" ? value : value * 1000;
}

export function classify(err: unknown): Classified {
  if (err instanceof ResponsesHttpError) {
    if (CONTEXT_OVERFLOW.test(err.body)) return { kind: "context_overflow" };
    if (err.status === 401 || err.status === 403) return { kind: "auth" };
    if (err.status === 429) {
      if (/insufficient_quota/.test(err.body)) return { kind: "quota" };
      return { kind: "retryable", retryAfterMs: err.retryAfterMs ?? retryHintMs(err.body) };
    }
    if (err.status >= 500 || err.status === 408 || err.status === 409) {
      return { kind: "retryable", retryAfterMs: err.retryAfterMs };
    }
    return { kind: "fatal" };
  }
  if (err instanceof ResponseFailedError) {
    if (err.code === "context_length_exceeded" || CONTEXT_OVERFLOW.test(err.message)) {
      return { kind: "context_overflow" };
    }
    if (err.code === "insufficient_quota") return { kind: "quota" };
    if (err.code && NON_RETRYABLE_CODES.has(err.code)) return { kind: "fatal" };
    return { kind: "retryable", retryAfterMs: retryHintMs(err.message) };
  }
  if (err instanceof ResponsesStreamError) return { kind: "retryable" };
  if (err instanceof ResponseIncompleteError) return { kind: "fatal" };
  if (err instanceof TypeError) return { kind: "retryable" }; // fetch's network failures
  return { kind: "fatal" };
}
