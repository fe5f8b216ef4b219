import assert from "node:assert/strict";
import { retryAfterMs } from "./client.ts";
import {
  classify,
  ContextWindowExceededError,
  type ErrorKind,
  ResponseFailedError,
  ResponseIncompleteError,
  ResponsesHttpError,
  ResponsesStreamError,
  retryHintMs,
} from "./errors.ts";
import { backoffMs, MAX_BACKOFF_MS, MAX_RETRY_AFTER_MS, retryDelayMs } from "./retry.ts";

const TARGET = { provider: "p", url: "http://127.0.0.1:1/v1/responses", envKey: "P_KEY" };
const http = (status: number, body = "", retryAfter?: number) =>
  new ResponsesHttpError(status, "", body, TARGET, retryAfter);
const failed = (code: string | undefined, message = "m") =>
  new ResponseFailedError(code, message, TARGET);

Deno.test("classify: one table for every error the client raises", () => {
  const cases: Array<[unknown, ErrorKind, number?]> = [
    [http(500), "retryable"],
    [http(502, "", 1500), "retryable", 1500],
    [http(503), "retryable"],
    [http(429, '{"error":{"message":"Please try again in 1.5s"}}'), "retryable", 1500],
    [http(429, "slow down", 2000), "retryable", 2000],
    [http(429, '{"error":{"code":"insufficient_quota"}}'), "quota"],
    [http(401), "auth"],
    [http(403), "auth"],
    [http(400), "fatal"],
    [http(404), "fatal"],
    [http(422), "fatal"],
    [new ContextWindowExceededError("too long", TARGET), "context_overflow"],
    [failed("server_error"), "retryable"],
    [failed(undefined), "retryable"],
    [failed("rate_limit_exceeded", "Please try again in 300ms."), "retryable", 300],
    [failed("insufficient_quota"), "quota"],
    [failed("usage_not_included"), "quota"],
    [failed("invalid_prompt"), "fatal"],
    [failed("model_output_invalid"), "fatal"],
    [new ResponsesStreamError("idle", "quiet", TARGET), "retryable"],
    [new ResponsesStreamError("closed", "ended", TARGET), "retryable"],
    [new ResponsesStreamError("malformed", "garbage", TARGET), "retryable"],
    [new ResponsesStreamError("connect", "refused", TARGET), "retryable"],
    [new ResponseIncompleteError("max_output_tokens"), "fatal"],
    [new TypeError("a bug, not a network failure"), "fatal"],
    ["not even an error", "fatal"],
  ];
  for (const [err, kind, retryAfter] of cases) {
    const verdict = classify(err);
    assert.deepEqual([verdict.kind, verdict.retryAfterMs], [kind, retryAfter], String(err));
  }
});

Deno.test("context overflow messages yield the token counts when the server gives them", () => {
  const counted = new ContextWindowExceededError(
    "This model's maximum context length is 128000 tokens. However, you requested 130500 tokens.",
    TARGET,
  );
  assert.deepEqual([counted.requestedTokens, counted.maxTokens], [130_500, 128_000]);
  const bare = new ContextWindowExceededError("Your input exceeds the context window.", TARGET);
  assert.deepEqual([bare.requestedTokens, bare.maxTokens], [undefined, undefined]);
  assert.match(bare.message, /start a new session or compact the history/);
});

Deno.test("server retry hints: 'try again in' texts and retry-after headers", () => {
  assert.equal(retryHintMs("Please try again in 1.5s."), 1500);
  assert.equal(retryHintMs("try again in 250ms"), 250);
  assert.equal(retryHintMs("Try again in 2 seconds"), 2000);
  assert.equal(retryHintMs("no hint here"), undefined);
  assert.equal(retryAfterMs(new Headers({ "retry-after": "3" })), 3000);
  assert.equal(retryAfterMs(new Headers({ "retry-after-ms": "120", "retry-after": "3" })), 120);
  const date = new Date(Date.now() + 60_000).toUTCString();
  const fromDate = retryAfterMs(new Headers({ "retry-after": date }))!;
  assert.ok(fromDate > 50_000 && fromDate <= 60_000, String(fromDate));
  assert.equal(retryAfterMs(new Headers()), undefined);
});

Deno.test("backoff: 200 ms doubling with ±10% jitter, capped", () => {
  for (let attempt = 1; attempt <= 8; attempt++) {
    const base = 200 * 2 ** (attempt - 1);
    assert.equal(backoffMs(attempt, () => 0), Math.min(MAX_BACKOFF_MS, Math.round(base * 0.9)));
    assert.equal(backoffMs(attempt, () => 1), Math.min(MAX_BACKOFF_MS, Math.round(base * 1.1)));
    const sampled = backoffMs(attempt);
    assert.ok(sampled >= Math.min(MAX_BACKOFF_MS, base * 0.9) - 1, `${attempt}: ${sampled}`);
    assert.ok(sampled <= Math.min(MAX_BACKOFF_MS, base * 1.1) + 1, `${attempt}: ${sampled}`);
  }
  assert.equal(backoffMs(1000), MAX_BACKOFF_MS);
  assert.equal(retryDelayMs(3, 1234), 1234);
  assert.equal(retryDelayMs(3, 10 * 60_000), MAX_RETRY_AFTER_MS);
  assert.equal(retryDelayMs(3, -5), 0);
});

Deno.test("HTTP error messages say what to do, and never echo the key variable's value", () => {
  assert.match(http(401).message, /the API key from P_KEY was rejected/);
  const noKey = new ResponsesHttpError(401, "", "", { ...TARGET, envKey: undefined });
  assert.match(noKey.message, /set env_key in its \[model_providers\] table/);
  assert.match(http(404).message, /check the provider's base_url and the model name/);
  assert.match(
    http(503, "<html>busy</html>").message,
    /^unexpected status 503: <html>busy<\/html>, url: \S+ — .*server error/,
  );
  const long = http(400, "x".repeat(2000)).message;
  assert.ok(long.length < 700, String(long.length));
});
