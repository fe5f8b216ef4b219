// The Responses client and sample() against the real fake server over HTTP: retries (counted on
// the server), error classes and messages, idle timeouts, broken and garbled streams.
import assert from "node:assert/strict";
import { Secret } from "../config/mod.ts";
import {
  FakeResponsesServer,
  parseScenario,
  type ScenarioInput,
  scriptEvents,
} from "../fake/mod.ts";
import { type RunningServer, serveHttp } from "../platform/mod.ts";
import { encodeJsonEvent, SSE_HEADERS } from "../protocol/mod.ts";
import { displayUrl, type ProviderEndpoint, ResponsesClient } from "./client.ts";
import {
  classify,
  ContextWindowExceededError,
  ResponseFailedError,
  ResponseIncompleteError,
  ResponsesHttpError,
  ResponsesStreamError,
} from "./errors.ts";
import { buildRequest } from "./request.ts";
import { sample, type SampleEvent } from "./sample.ts";

const KEY = "sk-test-secret";
const OK: ScenarioInput["responses"][number] = {
  output: [{ type: "message", text: "Hello there." }],
};

const REQUEST = buildRequest({
  settings: { model: "gpt-5.1-codex" },
  identity: { originator: "codex_exec", userAgent: "tscodex-test" },
  sessionId: "0199aaaa-0000-7000-8000-000000000001",
  turn: { turn_id: "0199aaaa-0000-7000-8000-000000000002", sandbox: "none" },
  instructions: "Test instructions.",
  input: [{ type: "message", role: "user", content: [{ type: "input_text", text: "hi" }] }],
  tools: [],
});

interface Run {
  server: FakeResponsesServer;
  events: SampleEvent[];
  result?: Awaited<ReturnType<typeof sample>>;
  error?: Error;
}

/** Serves `responses` and samples once with the given limits; the server is closed afterwards. */
async function run(
  responses: ScenarioInput["responses"],
  limits: { requestMaxRetries?: number; maxRetries?: number; idleMs?: number; repeat?: boolean } =
    {},
): Promise<Run> {
  const after_last = limits.repeat ? "repeat_last" : "error";
  const server = new FakeResponsesServer(parseScenario({ responses, after_last }));
  await server.start();
  const out: Run = { server, events: [] };
  try {
    const client = new ResponsesClient(endpoint(server.baseUrl, limits));
    out.result = await sample(client, REQUEST, {
      maxRetries: limits.maxRetries ?? 0,
      onEvent: (event) => out.events.push(event),
    });
  } catch (err) {
    out.error = err as Error;
  } finally {
    await server.close();
  }
  return out;
}

function endpoint(
  baseUrl: string,
  limits: { requestMaxRetries?: number; idleMs?: number } = {},
): ProviderEndpoint {
  return {
    id: "fake",
    baseUrl,
    apiKey: new Secret(KEY),
    envKey: "FAKE_KEY",
    requestMaxRetries: limits.requestMaxRetries ?? 0,
    streamIdleTimeoutMs: limits.idleMs ?? 10_000,
  };
}

function retries(run: Run): SampleEvent[] {
  return run.events.filter((e) => e.type === "retrying");
}

function assertNamesTarget(run: Run): void {
  assert.ok(run.error, "expected the sample to fail");
  assert.match(
    run.error.message,
    /provider "fake" \(POST http:\/\/127\.0\.0\.1:\d+\/v1\/responses\)/,
  );
  assert.ok(!run.error.message.includes(KEY), "the error leaks the key");
}

function lastText(run: Run): string | undefined {
  const item = run.result?.items.at(-1) as { content?: Array<{ text?: string }> } | undefined;
  return item?.content?.[0]?.text;
}

Deno.test("HTTP 500 then success: re-sent at the request level, no reconnect notice", async () => {
  const result = await run(
    [{ fault: { kind: "http_status", status: 500 } }, OK],
    { requestMaxRetries: 4, maxRetries: 5 },
  );
  assert.equal(result.error, undefined);
  assert.equal(lastText(result), "Hello there.");
  assert.equal(result.server.requests.length, 2);
  assert.equal(retries(result).length, 0);
  // A retry re-sends the identical request.
  const [first, second] = result.server.requests;
  assert.deepEqual(second.body, first.body);
  assert.deepEqual(second.headers, first.headers);
});

Deno.test("HTTP 500 for good: (request_max_retries+1) × (stream_max_retries+1) POSTs", async () => {
  const result = await run(
    [{ fault: { kind: "http_status", status: 500 } }],
    { requestMaxRetries: 1, maxRetries: 2, repeat: true },
  );
  assert.equal(result.server.requests.length, 6);
  assert.deepEqual(
    retries(result).map((e) => e.type === "retrying" && `${e.attempt}/${e.maxRetries}`),
    ["1/2", "2/2"],
  );
  assert.ok(result.error instanceof ResponsesHttpError);
  assert.equal(result.error.status, 500);
  assert.match(
    result.error.headline,
    /^unexpected status 500 Internal Server Error: .*, url: http:\/\/127\.0\.0\.1:\d+\/v1\/responses$/,
  );
  assert.match(result.error.hint!, /^provider "fake" \(POST .*\) answered HTTP 500 Internal/);
  assertNamesTarget(result);
});

Deno.test("HTTP 400: no retry; the message quotes the error and names the target", async () => {
  const body = { error: { message: "Invalid value for 'input'.", code: "invalid_value" } };
  const result = await run(
    [{ fault: { kind: "http_status", status: 400, body } }, OK],
    { requestMaxRetries: 4, maxRetries: 5 },
  );
  assert.equal(result.server.requests.length, 1);
  assert.ok(result.error instanceof ResponsesHttpError);
  assert.equal(classify(result.error).kind, "fatal");
  // As upstream's log shows a 400: the body as the provider sent it.
  assert.equal(result.error.headline, JSON.stringify(body));
  assert.match(result.error.hint!, /answered HTTP 400 Bad Request: the provider rejected/);
  assertNamesTarget(result);
});

Deno.test("HTTP 401: exactly one request; names the status and the key variable", async () => {
  const body = { error: { message: `Incorrect API key provided: ${KEY}.` } };
  const result = await run(
    [{ fault: { kind: "http_status", status: 401, body } }, OK],
    { requestMaxRetries: 4, maxRetries: 5 },
  );
  assert.equal(result.server.requests.length, 1);
  assert.equal(classify(result.error).kind, "auth");
  assert.match(result.error!.message, /HTTP 401 Unauthorized/);
  assert.match(result.error!.message, /the API key from FAKE_KEY was rejected/);
  assert.match(result.error!.message, /Incorrect API key provided: <redacted>\./);
  assertNamesTarget(result);
});

Deno.test("HTTP 429: retried after the server's retry-after, then succeeds", async () => {
  const result = await run(
    [
      { fault: { kind: "http_status", status: 429, headers: { "retry-after-ms": "30" } } },
      {
        fault: {
          kind: "http_status",
          status: 429,
          body: { error: { message: "Rate limit reached. Please try again in 40ms." } },
        },
      },
      OK,
    ],
    { requestMaxRetries: 4, maxRetries: 5 },
  );
  assert.equal(result.error, undefined);
  assert.equal(result.server.requests.length, 3);
  assert.deepEqual(retries(result).map((e) => e.type === "retrying" && e.delayMs), [30, 40]);
});

Deno.test("HTTP 429 insufficient_quota is not retried", async () => {
  const body = {
    error: { message: "You exceeded your current quota.", code: "insufficient_quota" },
  };
  const result = await run(
    [{ fault: { kind: "http_status", status: 429, body } }, OK],
    { maxRetries: 5 },
  );
  assert.equal(result.server.requests.length, 1);
  assert.equal(classify(result.error).kind, "quota");
});

Deno.test("response.failed context_length_exceeded: one request, counts parsed", async () => {
  const message =
    "This model's maximum context length is 272000 tokens. However, your messages resulted in 300000 tokens.";
  const result = await run(
    [{ status: "failed", error: { code: "context_length_exceeded", message } }, OK],
    { maxRetries: 5 },
  );
  assert.equal(result.server.requests.length, 1);
  assert.ok(result.error instanceof ContextWindowExceededError);
  assert.equal(classify(result.error).kind, "context_overflow");
  assert.equal(result.error.maxTokens, 272_000);
  assert.equal(result.error.requestedTokens, 300_000);
  assert.match(result.error.message, /300000 tokens requested, 272000 allowed/);
  assertNamesTarget(result);
});

Deno.test("overflow or not, as the shared detector says: HTTP 400 and response.failed", async () => {
  const cases: Array<[string, ScenarioInput["responses"][number], boolean]> = [
    [
      "Anthropic-style 400",
      {
        fault: {
          kind: "http_status",
          status: 400,
          body: { error: { message: "prompt is too long: 210000 tokens > 200000 maximum" } },
        },
      },
      true,
    ],
    [
      "context_management 400",
      {
        fault: {
          kind: "http_status",
          status: 400,
          body: { error: { message: "invalid context_management setting" } },
        },
      },
      false,
    ],
    [
      "context_management failure",
      {
        status: "failed",
        error: { code: "invalid_prompt", message: "invalid context_management setting" },
      },
      false,
    ],
    [
      "window failure without a code",
      {
        status: "failed",
        error: { message: "Your input exceeds the context window of this model." },
      },
      true,
    ],
  ];
  for (const [name, response, overflow] of cases) {
    const result = await run([response, OK], { maxRetries: 0 });
    assert.ok(result.error, name);
    assert.equal(result.error instanceof ContextWindowExceededError, overflow, name);
    assert.equal(classify(result.error).kind === "context_overflow", overflow, name);
  }
});

Deno.test("response.failed with a server error is retried; invalid_prompt is not", async () => {
  const retried = await run(
    [{ status: "failed", error: { code: "server_error", message: "oops" } }, OK],
    { maxRetries: 1 },
  );
  assert.equal(retried.error, undefined);
  assert.equal(retried.server.requests.length, 2);

  const fatal = await run(
    [{ status: "failed", error: { code: "invalid_prompt", message: "nope" } }, OK],
    { maxRetries: 5 },
  );
  assert.equal(fatal.server.requests.length, 1);
  assert.ok(fatal.error instanceof ResponseFailedError);
  assert.equal(fatal.error.headline, "nope");
  assert.match(
    fatal.error.hint!,
    /failed the response \(invalid_prompt\); the prompt was rejected/,
  );
  assertNamesTarget(fatal);
});

Deno.test("a stalled stream times out after stream_idle_timeout_ms; two requests with 1 retry", async () => {
  const result = await run(
    [{ ...OK, fault: { kind: "stall", after_events: 3 } }],
    { maxRetries: 1, idleMs: 300, repeat: true },
  );
  assert.equal(result.server.requests.length, 2);
  assert.equal(retries(result).length, 1);
  assert.ok(result.error instanceof ResponsesStreamError);
  assert.equal(result.error.failure, "idle");
  assertNamesTarget(result);
  const first = retries(result)[0];
  assert.ok(first.type === "retrying");
  assert.match(first.error, /the stream went quiet for 300 ms \(stream_idle_timeout_ms\)/);
});

Deno.test("a stream that opens and never sends an event still counts as opened, per attempt", async () => {
  // Upstream records a token count as each stream opens: one per attempt here, though no event came.
  const result = await run(
    [{ ...OK, fault: { kind: "stall", after_events: 0 } }],
    { maxRetries: 1, idleMs: 300, repeat: true },
  );
  assert.equal(result.error?.constructor, ResponsesStreamError);
  assert.deepEqual(
    result.events.map((e) => e.type),
    ["stream_opened", "retrying", "stream_opened"],
  );
});

Deno.test("a stalled stream is retried and the retry's answer is the only output", async () => {
  const result = await run(
    [
      { output: [{ type: "message", text: "Partial" }], fault: { kind: "stall", after_events: 5 } },
      OK,
    ],
    { maxRetries: 1, idleMs: 300 },
  );
  assert.equal(result.error, undefined);
  assert.equal(result.server.requests.length, 2);
  assert.equal(result.result?.items.length, 1);
  assert.equal(lastText(result), "Hello there.");
});

Deno.test("no response headers within the idle timeout counts as idle and is retried", async () => {
  const result = await run(
    [{ ...OK, fault: { kind: "delay", ms: 600 } }, OK],
    { maxRetries: 1, idleMs: 150 },
  );
  assert.equal(result.error, undefined);
  const first = retries(result)[0];
  assert.ok(first?.type === "retrying");
  assert.match(first.error, /no response within 150 ms/);
});

Deno.test("a cut stream is retried; the partial attempt's items are dropped", async () => {
  const result = await run(
    [
      {
        output: [
          { type: "message", text: "First item." },
          { type: "message", text: "Never finished." },
        ],
        fault: { kind: "cut", after_events: 9 },
      },
      OK,
    ],
    { maxRetries: 1 },
  );
  assert.equal(result.error, undefined);
  assert.equal(result.server.requests.length, 2);
  const retry = retries(result)[0];
  assert.ok(retry?.type === "retrying");
  assert.match(retry.error, /the stream ended before response\.completed/);
  assert.deepEqual(result.result?.items.map((i) => i.type), ["message"]);
  assert.equal(lastText(result), "Hello there.");
});

Deno.test("a cut stream with no retries left fails with a stream error naming the target", async () => {
  const result = await run([{ ...OK, fault: { kind: "cut", after_events: 2 } }], { maxRetries: 0 });
  assert.ok(result.error instanceof ResponsesStreamError);
  assert.equal(result.error.failure, "closed");
  assertNamesTarget(result);
});

Deno.test("response.incomplete is not retried and carries the partial items", async () => {
  const result = await run(
    [{ output: [{ type: "message", text: "Half" }], status: "incomplete" }, OK],
    { maxRetries: 5 },
  );
  assert.equal(result.server.requests.length, 1);
  assert.ok(result.error instanceof ResponseIncompleteError);
  assert.equal(result.error.reason, "max_output_tokens");
  assert.equal(result.error.items.length, 1);
  assert.equal(classify(result.error).kind, "fatal");
});

const VENDOR_EVENT =
  'event: response.vendor_extension\ndata: {"type":"response.vendor_extension"}\n\n';

/**
 * A server that answers the first request with `first` and later ones with a good stream that
 * opens with an event type this build does not know.
 */
async function scriptedServer(
  first: string,
): Promise<{ server: RunningServer; count: () => number }> {
  let requests = 0;
  const server = await serveHttp({ port: 0, hostname: "127.0.0.1" }, async (request) => {
    await request.text();
    requests++;
    if (requests === 1) return new Response(first, { headers: SSE_HEADERS });
    const events = scriptEvents(parseScenario({ responses: [OK] }).responses[0], {
      responseId: "resp_2",
      model: "m",
      input: [],
      requestIndex: 1,
    });
    return new Response(VENDOR_EVENT + events.map(encodeJsonEvent).join(""), {
      headers: SSE_HEADERS,
    });
  });
  return { server, count: () => requests };
}

Deno.test("garbage SSE is a retryable stream error; unknown events are ignored", async () => {
  const garbage =
    'event: response.vendor_extension\ndata: {"type":"response.vendor_extension"}\n\n' +
    "event: response.output_text.delta\ndata: {not json\n\n";
  const { server, count } = await scriptedServer(garbage);
  try {
    const events: SampleEvent[] = [];
    const client = new ResponsesClient(endpoint(`${server.url}/v1`));
    const result = await sample(client, REQUEST, {
      maxRetries: 1,
      onEvent: (e) => events.push(e),
    });
    assert.equal(count(), 2);
    assert.equal(result.items.length, 1);
    const retry = events.find((e) => e.type === "retrying");
    assert.ok(retry?.type === "retrying");
    assert.match(retry.error, /malformed response\.output_text\.delta event: invalid JSON/);
  } finally {
    await server.close();
  }
});

Deno.test("a refused connection is re-sent request_max_retries times, then fails", async () => {
  const { server } = await scriptedServer("");
  const baseUrl = `${server.url}/v1`;
  await server.close();
  const client = new ResponsesClient(endpoint(baseUrl, { requestMaxRetries: 1 }));
  const err = await sample(client, REQUEST, { maxRetries: 0 }).then(
    () => assert.fail("expected a failure"),
    (e: Error) => e,
  );
  assert.ok(err instanceof ResponsesStreamError);
  assert.equal(err.failure, "connect");
  assert.match(err.message, /could not connect/);
  assert.equal(classify(err).kind, "retryable");
});

Deno.test("an abort stops the sample at once, even during a backoff", async () => {
  const server = new FakeResponsesServer(
    parseScenario({
      responses: [{ fault: { kind: "http_status", status: 503 } }],
      after_last: "repeat_last",
    }),
  );
  await server.start();
  try {
    const abort = new AbortController();
    const client = new ResponsesClient(endpoint(server.baseUrl));
    const pending = sample(client, REQUEST, {
      maxRetries: 5,
      signal: abort.signal,
      onEvent: (e) => e.type === "retrying" && abort.abort(new Error("stop")),
    });
    await assert.rejects(pending, /stop/);
    assert.equal(server.requests.length, 1);
  } finally {
    await server.close();
  }
});

Deno.test("errors show the URL with credential-like query parameters masked", () => {
  assert.equal(
    displayUrl("https://h.example/v1/responses?api-version=2025-01-01&key=abc&sig=x"),
    "https://h.example/v1/responses?api-version=2025-01-01&key=<redacted>&sig=<redacted>",
  );
  assert.equal(displayUrl("http://127.0.0.1:9/v1/responses"), "http://127.0.0.1:9/v1/responses");
  const client = new ResponsesClient({
    id: "p",
    baseUrl: "https://h.example/v1",
    queryParams: { token: "t0ps3cret" },
    streamIdleTimeoutMs: 1,
  });
  assert.ok(client.url.includes("t0ps3cret"));
  assert.ok(!client.target.url.includes("t0ps3cret"));
});

Deno.test("listModels: GET /models with the provider's headers, query and key; either list shape", async () => {
  const seen: Array<{ url: string; auth: string | null; custom: string | null }> = [];
  const server = await serveHttp({ port: 0, hostname: "127.0.0.1" }, (request) => {
    const url = new URL(request.url);
    seen.push({
      url: url.pathname + url.search,
      auth: request.headers.get("authorization"),
      custom: request.headers.get("x-custom"),
    });
    if (url.searchParams.get("fail")) {
      return Response.json({ error: { message: `bad key ${KEY}` } }, { status: 401 });
    }
    return Response.json({
      data: [{ id: "gpt-a" }, { id: "gpt-b" }, { id: 7 }],
      models: [{ slug: "gpt-b" }, { slug: "codex-c" }],
    });
  });
  try {
    const base = {
      baseUrl: `${server.url}/v1`,
      apiKey: new Secret(KEY),
      headers: { "x-custom": "yes" },
      queryParams: { "api-version": "1" },
      streamIdleTimeoutMs: 5_000,
    };
    assert.deepEqual(await new ResponsesClient(base).listModels(), ["gpt-a", "gpt-b", "codex-c"]);
    assert.deepEqual(seen[0], {
      url: "/v1/models?api-version=1",
      auth: `Bearer ${KEY}`,
      custom: "yes",
    });
    const failing = new ResponsesClient({ ...base, queryParams: { fail: "1" } });
    await assert.rejects(failing.listModels(), (err: Error) => {
      assert.ok(err instanceof ResponsesHttpError);
      assert.equal(err.status, 401);
      assert.ok(!err.message.includes(KEY), err.message);
      return true;
    });
  } finally {
    await server.close();
  }
});
