// Typed errors of the Responses client, classified in one place. Each has a headline — what the
// provider said, in the words upstream Codex prints after `ERROR:` — and a hint of ours: which
// provider and URL failed and what to do about it. `message` holds both, on one line.

/** Where a request went: named in every error message. */
export interface RequestTarget {
  provider: string;
  url: string;
  /** The variable the API key came from, for auth errors. */
  envKey?: string;
}

function at(target: RequestTarget): string {
  return `provider "${target.provider}" (POST ${target.url})`;
}

/** An error told in two parts: the headline (first line) and what to do (the next). */
export interface Explained {
  headline: string;
  hint?: string;
}

/** The two parts of any error; one without a headline is all headline. */
export function explain(err: unknown): Explained {
  const e = err as Partial<Explained> & { message?: unknown };
  if (typeof e?.headline === "string") return { headline: e.headline, hint: e.hint };
  return { headline: typeof e?.message === "string" ? e.message : String(err) };
}

/** An error of the Responses client: `message` is the headline and the hint on one line. */
export class ExplainedError extends Error implements Explained {
  constructor(readonly headline: string, readonly hint?: string, options?: ErrorOptions) {
    super(hint ? `${headline} — ${hint}` : headline, options);
  }
}

/** The `error.message` (and code) of a JSON error body, else the body itself, shortened. */
export function bodyExcerpt(body: string, limit = 500): string {
  try {
    const error = (JSON.parse(body) as { error?: { message?: unknown; code?: unknown } }).error;
    if (typeof error?.message === "string" && error.message) {
      return error.message + (typeof error.code === "string" ? ` (${error.code})` : "");
    }
  } catch {
    // Not JSON: quote the text.
  }
  return shortened(body, limit);
}

function shortened(text: string, limit: number): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > limit ? `${line.slice(0, limit)}…` : line;
}

function httpHint(status: number, target: RequestTarget): string {
  if (status === 401 || status === 403) {
    return target.envKey
      ? `the API key from ${target.envKey} was rejected; check that it is valid for this provider`
      : "the provider wants credentials; set env_key in its [model_providers] table";
  }
  if (status === 404) return "check the provider's base_url and the model name";
  if (status === 429) return "the provider is rate limiting or out of quota";
  if (status >= 500) return "the provider had a server error; try again later";
  return "the provider rejected the request";
}

/**
 * The server answered with a non-2xx status. `body` has any echoed credential redacted. As in
 * upstream's log, a 400 shows the body as sent; other statuses the status, the provider's
 * message and the URL.
 */
export class ResponsesHttpError extends ExplainedError {
  constructor(
    readonly status: number,
    readonly statusText: string,
    readonly body: string,
    readonly target: RequestTarget,
    readonly retryAfterMs?: number,
  ) {
    const excerpt = bodyExcerpt(body);
    const statusLine = `${status}${statusText ? ` ${statusText}` : ""}`;
    const headline = status === 400 && body.trim()
      ? shortened(body, 500)
      : `unexpected status ${statusLine}${excerpt ? `: ${excerpt}` : ""}, url: ${target.url}`;
    super(headline, `${at(target)} answered HTTP ${statusLine}: ${httpHint(status, target)}`);
    this.name = "ResponsesHttpError";
  }
}

export type StreamFailure = "connect" | "broken" | "idle" | "closed" | "malformed";

const STREAM_HINTS: Record<StreamFailure, string> = {
  connect: "check that the provider is running and that its base_url is right",
  broken: "the connection broke; try again",
  idle: "raise stream_idle_timeout_ms in the provider's table if it is just slow",
  closed: "the provider ended the stream early; try again",
  malformed: "the provider sent an event that does not follow the Responses API",
};

/** The connection failed, broke, went idle, ended before a terminal event, or sent garbage. */
export class ResponsesStreamError extends ExplainedError {
  constructor(
    readonly failure: StreamFailure,
    detail: string,
    readonly target: RequestTarget,
    options?: { cause?: unknown },
  ) {
    super(
      `stream disconnected before completion: ${detail}`,
      `${at(target)}: ${STREAM_HINTS[failure]}`,
      options,
    );
    this.name = "ResponsesStreamError";
  }
}

const FAILURE_HINTS: Record<string, string> = {
  insufficient_quota: "check the account's plan and billing",
  usage_not_included: "the account's plan does not include this usage",
  invalid_prompt: "the prompt was rejected; rephrase it",
  model_output_invalid: "the model produced output the server rejected; try again",
};

/** Codes that end the turn at once; other failures read as a stream cut short, as upstream's. */
const FINAL_CODES = new Set(["invalid_prompt", "model_output_invalid", "insufficient_quota"]);

/** The server sent `response.failed` or an `error` event. */
export class ResponseFailedError extends ExplainedError {
  constructor(
    readonly code: string | undefined,
    readonly detail: string,
    readonly target: RequestTarget,
  ) {
    const hint = code && FAILURE_HINTS[code] ? `; ${FAILURE_HINTS[code]}` : "";
    super(
      code && FINAL_CODES.has(code) ? detail : `stream disconnected before completion: ${detail}`,
      `${at(target)} failed the response${code ? ` (${code})` : ""}${hint}`,
    );
    this.name = "ResponseFailedError";
  }
}

/** The conversation no longer fits the model's window; token counts when the server gave them. */
export class ContextWindowExceededError extends ExplainedError {
  readonly requestedTokens?: number;
  readonly maxTokens?: number;

  constructor(readonly detail: string, readonly target: RequestTarget) {
    const max = /maximum context length is (\d+)/i.exec(detail)?.[1];
    const requested = /(?:resulted in|requested) (\d+) tokens/i.exec(detail)?.[1];
    const counts = requested && max ? ` (${requested} tokens requested, ${max} allowed)` : "";
    super(
      bodyExcerpt(detail),
      `the conversation no longer fits the model's context window${counts}; start a new ` +
        `session or compact the history (${at(target)})`,
    );
    this.name = "ContextWindowExceededError";
    this.maxTokens = max ? Number(max) : undefined;
    this.requestedTokens = requested ? Number(requested) : undefined;
  }
}

/** The server sent `response.incomplete`: output stopped early, e.g. at max_output_tokens. */
export class ResponseIncompleteError extends ExplainedError {
  constructor(readonly reason: string | undefined, readonly items: readonly unknown[] = []) {
    super(
      `the response was incomplete${reason ? `: ${reason}` : ""}`,
      reason === "max_output_tokens"
        ? "the answer hit the model's output limit; ask for less at once"
        : undefined,
    );
    this.name = "ResponseIncompleteError";
  }
}

export type ErrorKind = "retryable" | "context_overflow" | "auth" | "quota" | "fatal";

export interface Classified {
  kind: ErrorKind;
  /** A server-suggested wait before retrying, when it gave one. */
  retryAfterMs?: number;
}

const QUOTA_CODES = new Set(["insufficient_quota", "usage_not_included"]);
const FATAL_CODES = new Set(["invalid_prompt", "model_output_invalid"]);

/** The server's hint in messages like "Please try again in 1.5s" or "in 300ms". */
export function retryHintMs(message: string): number | undefined {
  const match = /try again in\s*([\d.]+)\s*(ms|s|sec|seconds?)\b/i.exec(message);
  if (!match) return undefined;
  const value = Number(match[1]);
  return match[2].toLowerCase() === "ms" ? value : value * 1000;
}

export function classify(err: unknown): Classified {
  if (err instanceof ContextWindowExceededError) return { kind: "context_overflow" };
  if (err instanceof ResponsesHttpError) {
    if (err.status === 401 || err.status === 403) return { kind: "auth" };
    if (err.status === 429) {
      if (/insufficient_quota/.test(err.body)) return { kind: "quota" };
      return { kind: "retryable", retryAfterMs: err.retryAfterMs ?? retryHintMs(err.body) };
    }
    if (err.status >= 500) return { kind: "retryable", retryAfterMs: err.retryAfterMs };
    return { kind: "fatal" };
  }
  if (err instanceof ResponseFailedError) {
    if (err.code && QUOTA_CODES.has(err.code)) return { kind: "quota" };
    if (err.code && FATAL_CODES.has(err.code)) return { kind: "fatal" };
    return { kind: "retryable", retryAfterMs: retryHintMs(err.detail) };
  }
  if (err instanceof ResponsesStreamError) return { kind: "retryable" };
  return { kind: "fatal" };
}
