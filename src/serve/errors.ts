// The proxy's two kinds of failure: a client request it refuses (answered with an HTTP status
// before any streaming starts) and a downstream failure (answered inside the stream as
// `response.failed`). Downstream failures are classified once, here, into the error codes
// Responses clients already act on: retry, stop, or compact.
import { isContextOverflow } from "../protocol/mod.ts";

const ERROR_TYPES: Record<number, string> = {
  401: "authentication_error",
  403: "permission_error",
  500: "server_error",
};

/** A request the proxy refuses; becomes an OpenAI-style JSON error with this status. */
export class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code = "invalid_request",
    readonly param?: string,
  ) {
    super(message);
    this.name = "RequestError";
  }

  /** The `error` object of the JSON answer (and of a WebSocket `error` event). */
  get body(): Record<string, unknown> {
    return {
      message: this.message,
      type: ERROR_TYPES[this.status] ?? "invalid_request_error",
      code: this.code,
      param: this.param ?? null,
    };
  }

  toResponse(): Response {
    return Response.json({ error: this.body }, { status: this.status });
  }
}

/**
 * Codes a Responses client understands: `server_error` and `rate_limit_exceeded` are retried,
 * `context_length_exceeded` stops or compacts, `invalid_prompt` and `model_output_invalid` stop.
 */
export type DownstreamErrorCode =
  | "server_error"
  | "rate_limit_exceeded"
  | "context_length_exceeded"
  | "invalid_prompt"
  | "model_output_invalid";

/** The downstream failed, broke its stream, or answered with something unusable. */
export class DownstreamError extends Error {
  constructor(
    message: string,
    readonly code: DownstreamErrorCode,
    readonly type = "downstream_error",
    readonly status?: number,
  ) {
    super(message);
    this.name = "DownstreamError";
  }
}

/** How a non-2xx downstream answer is reported: retried only when a retry can help. */
export function downstreamHttpError(status: number, url: string, body: string): DownstreamError {
  const excerpt = body.length > 500 ? `${body.slice(0, 500)}…` : body;
  const message = `downstream ${url} answered HTTP ${status}: ${excerpt || "(empty body)"}`;
  let code: DownstreamErrorCode = "invalid_prompt";
  if (isContextOverflow(body)) code = "context_length_exceeded";
  else if (status === 429) code = "rate_limit_exceeded";
  else if (status >= 500 || status === 408 || status === 409) code = "server_error";
  return new DownstreamError(message, code, "downstream_http_error", status);
}
