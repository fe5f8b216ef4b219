// The embedded fake Responses server: serves a scripted scenario over real HTTP + SSE and records
// every request it receives. It powers the offline demo, the tests and upstream recording.
import { appendFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import {
  encodeJsonEvent,
  type ResponseItem,
  responseResource,
  type ResponseState,
  SSE_HEADERS,
  type Usage,
} from "../protocol/mod.ts";
import { type RunningServer, serveHttp } from "../platform/mod.ts";
import type { Scenario, ScriptedItem, ScriptedResponse, ScriptRoute } from "./scenario.ts";
import { requestInvariantViolations } from "./invariants.ts";

export interface RecordedRequest {
  index: number;
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  body: unknown;
  /** The route whose script answered, when one of the scenario's routes took the request. */
  route?: string;
  /** What the request broke of the rules every request must keep (it was answered with a 400). */
  violations?: string[];
}

export interface FakeServerOptions {
  /** Appends each request as one JSON line to `<recordDir>/requests.jsonl`. */
  recordDir?: string;
  /**
   * A request that breaks the invariants (an unanswered call, an empty id, a call id used twice)
   * is always refused with a 400, as the real API refuses it. By default `close()` then also
   * fails, naming each one, so no test can miss it; lenient servers (the demo, conformance
   * runs, which report it their own way) only refuse.
   */
  lenient?: boolean;
}

/** Requests the fake server received that broke the Responses invariants. */
export class InvalidRequestsError extends Error {
  constructor(readonly requests: readonly RecordedRequest[]) {
    super(
      `the fake server received ${requests.length} request(s) breaking the Responses API's ` +
        "rules:\n" +
        requests.map((r) => `  #${r.index} ${r.path}: ${r.violations!.join("; ")}`).join("\n"),
    );
    this.name = "InvalidRequestsError";
  }
}

const SECRET_HEADER = /authorization|api[-_]?key|token|secret|cookie/i;

/** Header values that carry credentials are replaced, keeping the auth scheme visible. */
export function redactHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of headers) {
    if (!SECRET_HEADER.test(name)) {
      out[name] = value;
      continue;
    }
    const scheme = /^(Bearer|Basic)\s/i.exec(value)?.[1];
    out[name] = scheme ? `${scheme} <redacted>` : "<redacted>";
  }
  return out;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

function splitChunks(text: string, count: number): string[] {
  if (count <= 1 || text.length <= 1) return [text];
  const size = Math.ceil(text.length / count);
  const chunks: string[] = [];
  for (let i = 0; i < text.length; i += size) chunks.push(text.slice(i, i + size));
  return chunks;
}

/** The raw output text of `callId` in the request input, or `undefined` when it is absent. */
function callOutput(input: unknown, callId: string): string | undefined {
  if (!Array.isArray(input)) return undefined;
  for (const item of input as Array<Record<string, unknown>>) {
    if (!String(item?.type).endsWith("_call_output") || item.call_id !== callId) continue;
    const output = item.output;
    return typeof output === "string"
      ? output
      : Array.isArray(output)
      ? output.map((p) => (typeof p?.text === "string" ? p.text : "")).join("")
      : JSON.stringify(output);
  }
  return undefined;
}

/** The output text of `callId`: what follows `Output:` when framed. */
function callOutputText(input: unknown, callId: string): string {
  const text = callOutput(input, callId);
  if (text === undefined) return `(no output for ${callId} in this request)`;
  const marker = text.indexOf("\nOutput:\n");
  return (marker >= 0 ? text.slice(marker + "\nOutput:\n".length) : text).replace(/\n+$/, "");
}

/**
 * The unified-exec session id announced in the output of `callId` (`Process running with session
 * ID N`), or `null`. Real servers see ids the client picked at random, so a script cannot name one.
 */
function execSessionId(input: unknown, callId: string): string {
  return /session ID (\d+)/.exec(callOutput(input, callId) ?? "")?.[1] ?? "null";
}

/**
 * The field at the dotted `path` of `callId`'s output read as JSON: a string as it is, anything
 * else as JSON. Ids a client picks (a sub-agent's) reach the script this way.
 */
function callOutputField(input: unknown, callId: string, path: string): string {
  const text = callOutput(input, callId);
  if (text === undefined) return `(no output for ${callId} in this request)`;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return `(the output of ${callId} is not JSON)`;
  }
  for (const key of path.split(".")) {
    value = value !== null && typeof value === "object"
      ? (value as Record<string, unknown>)[key]
      : undefined;
  }
  if (value === undefined) return `(no ${path} in the output of ${callId})`;
  return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * Fills `{{output:CALL_ID}}`, `{{output_field:CALL_ID:PATH}}` and `{{exec_session:CALL_ID}}`. The
 * last also swallows the quotes around it, so `{"session_id": "{{exec_session:c1}}"}` in object
 * arguments becomes a JSON number.
 */
function fillTemplate(text: string, input: unknown): string {
  return text
    .replace(
      /"?\{\{exec_session:([^}]+)\}\}"?/g,
      (_, callId: string) => execSessionId(input, callId),
    )
    .replace(
      /\{\{output_field:([^}:]+):([^}]+)\}\}/g,
      (_, callId: string, path: string) => callOutputField(input, callId, path),
    )
    .replace(/\{\{output:([^}]+)\}\}/g, (_, callId: string) => callOutputText(input, callId));
}

function estimateTokens(value: unknown): number {
  return Math.max(1, Math.ceil(JSON.stringify(value ?? "").length / 4));
}

type Payload = { type: string; [key: string]: unknown };

/**
 * The answer to `POST /responses/compact`, which no script names: the request's user messages
 * kept, everything else folded into one compaction item, as the Responses API compacts.
 */
function compaction(body: unknown, index: number): Record<string, unknown> {
  const request = body as { input?: unknown };
  const input = typeof request?.input === "string"
    ? [{ type: "message", role: "user", content: [{ type: "input_text", text: request.input }] }]
    : Array.isArray(request?.input)
    ? request.input as Array<Record<string, unknown>>
    : [];
  const kept = input.filter((item) =>
    item?.role === "user" && (item.type ?? "message") === "message"
  );
  const output = [
    ...kept,
    {
      type: "compaction",
      id: `cmp_${index + 1}`,
      encrypted_content: `fake-compaction-of-${input.length}`,
    },
  ];
  const inputTokens = estimateTokens(input);
  const outputTokens = estimateTokens(output);
  return {
    id: `resp_compact_${String(index + 1).padStart(4, "0")}`,
    object: "response.compaction",
    created_at: Math.floor(Date.now() / 1000),
    output,
    usage: {
      input_tokens: inputTokens,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: outputTokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: inputTokens + outputTokens,
    },
  };
}

/** The full event sequence of one scripted response, as a real Responses server streams it. */
export function scriptEvents(
  script: ScriptedResponse,
  context: {
    responseId: string;
    model: string;
    input: unknown;
    /** The request's index in its script; with `idPrefix`, it makes the default item ids. */
    requestIndex: number;
    idPrefix?: string;
    /** The create body, whose settings the response objects echo. */
    request?: Record<string, unknown>;
  },
): Payload[] {
  const events: Payload[] = [];
  const outputs: ResponseItem[] = [];
  const createdAt = Math.floor(Date.now() / 1000);
  const shell = (status: ResponseState["status"], extra: Partial<ResponseState> = {}) =>
    responseResource({
      id: context.responseId,
      created_at: createdAt,
      status,
      model: context.model,
      output: [],
      usage: null,
      ...(status === "completed" ? { completed_at: Math.floor(Date.now() / 1000) } : {}),
      ...extra,
    }, context.request ?? {});
  events.push({ type: "response.created", response: shell("in_progress") });
  events.push({ type: "response.in_progress", response: shell("in_progress") });

  script.output.forEach((scripted: ScriptedItem, outputIndex) => {
    const at = { output_index: outputIndex };
    const suffix = `${context.idPrefix ?? ""}${context.requestIndex}_${outputIndex}`;
    const deltas = (type: string, text: string, extra: Record<string, unknown>) =>
      splitChunks(text, script.chunks).map((delta) => ({ type, ...extra, delta }));
    switch (scripted.type) {
      case "message": {
        const id = scripted.id ?? `msg_${suffix}`;
        const text = fillTemplate(scripted.text, context.input);
        const part = { type: "output_text", text, annotations: [] };
        const loc = { item_id: id, ...at, content_index: 0 };
        const item = {
          type: "message",
          id,
          role: "assistant",
          status: "completed",
          content: [part],
          ...(scripted.phase ? { phase: scripted.phase } : {}),
        };
        events.push({
          type: "response.output_item.added",
          ...at,
          item: { ...item, status: "in_progress", content: [] },
        });
        events.push({ type: "response.content_part.added", ...loc, part: { ...part, text: "" } });
        events.push(...deltas("response.output_text.delta", text, loc));
        events.push({ type: "response.output_text.done", ...loc, text });
        events.push({ type: "response.content_part.done", ...loc, part });
        events.push({ type: "response.output_item.done", ...at, item });
        outputs.push(item);
        break;
      }
      case "function_call": {
        const id = scripted.id ?? `fc_${suffix}`;
        const args = typeof scripted.arguments === "string"
          ? scripted.arguments
          : JSON.stringify(scripted.arguments);
        const filled = fillTemplate(args, context.input);
        const item = {
          type: "function_call",
          id,
          call_id: scripted.call_id ?? `call_${suffix}`,
          name: scripted.name,
          ...(scripted.namespace ? { namespace: scripted.namespace } : {}),
          arguments: filled,
          status: "completed",
        };
        const loc = { item_id: id, ...at };
        events.push({
          type: "response.output_item.added",
          ...at,
          item: { ...item, arguments: "", status: "in_progress" },
        });
        events.push(...deltas("response.function_call_arguments.delta", filled, loc));
        events.push({ type: "response.function_call_arguments.done", ...loc, arguments: filled });
        events.push({ type: "response.output_item.done", ...at, item });
        outputs.push(item);
        break;
      }
      case "custom_tool_call": {
        const id = scripted.id ?? `ctc_${suffix}`;
        const input = fillTemplate(scripted.input, context.input);
        const item = {
          type: "custom_tool_call",
          id,
          call_id: scripted.call_id ?? `call_${suffix}`,
          name: scripted.name,
          input,
          status: "completed",
        };
        const loc = { item_id: id, ...at };
        events.push({
          type: "response.output_item.added",
          ...at,
          item: { ...item, input: "", status: "in_progress" },
        });
        events.push(...deltas("response.custom_tool_call_input.delta", input, loc));
        events.push({ type: "response.custom_tool_call_input.done", ...loc, input });
        events.push({ type: "response.output_item.done", ...at, item });
        outputs.push(item);
        break;
      }
      case "reasoning": {
        const id = scripted.id ?? `rs_${suffix}`;
        const loc = { item_id: id, ...at };
        events.push({
          type: "response.output_item.added",
          ...at,
          item: { type: "reasoning", id, summary: [] },
        });
        scripted.summary.forEach((text, summaryIndex) => {
          const s = { ...loc, summary_index: summaryIndex };
          events.push({
            type: "response.reasoning_summary_part.added",
            ...s,
            part: { type: "summary_text", text: "" },
          });
          events.push(...deltas("response.reasoning_summary_text.delta", text, s));
          events.push({ type: "response.reasoning_summary_text.done", ...s, text });
        });
        scripted.content?.forEach((text, contentIndex) => {
          const c = { ...loc, content_index: contentIndex };
          events.push(...deltas("response.reasoning_text.delta", text, c));
          events.push({ type: "response.reasoning_text.done", ...c, text });
        });
        const item = {
          type: "reasoning",
          id,
          summary: scripted.summary.map((text) => ({ type: "summary_text", text })),
          ...(scripted.content
            ? { content: scripted.content.map((text) => ({ type: "reasoning_text", text })) }
            : {}),
          ...(scripted.encrypted_content !== undefined
            ? { encrypted_content: scripted.encrypted_content }
            : {}),
        };
        events.push({ type: "response.output_item.done", ...at, item });
        outputs.push(item);
        break;
      }
      case "web_search_call": {
        const id = scripted.id ?? `ws_${suffix}`;
        const item = {
          type: "web_search_call",
          id,
          status: "completed",
          action: scripted.action ?? { type: "search", query: "" },
        };
        events.push({
          type: "response.output_item.added",
          ...at,
          item: { type: "web_search_call", id, status: "in_progress" },
        });
        events.push({ type: "response.output_item.done", ...at, item });
        outputs.push(item);
        break;
      }
    }
  });

  const scriptedUsage = script.usage;
  const inputTokens = scriptedUsage?.input_tokens ?? estimateTokens(context.input);
  const outputTokens = scriptedUsage?.output_tokens ?? estimateTokens(outputs);
  const usage: Usage = {
    input_tokens: inputTokens,
    input_tokens_details: { cached_tokens: scriptedUsage?.cached_input_tokens ?? 0 },
    output_tokens: outputTokens,
    output_tokens_details: { reasoning_tokens: scriptedUsage?.reasoning_output_tokens ?? 0 },
    total_tokens: inputTokens + outputTokens,
  };
  if (script.status === "completed") {
    events.push({
      type: "response.completed",
      response: shell("completed", { output: outputs, usage }),
    });
  } else if (script.status === "incomplete") {
    events.push({
      type: "response.incomplete",
      response: shell("incomplete", {
        output: outputs,
        usage,
        incomplete_details: { reason: script.incomplete_reason ?? "max_output_tokens" },
      }),
    });
  } else {
    events.push({
      type: "response.failed",
      response: shell("failed", {
        output: outputs,
        error: {
          code: script.error?.code ?? "server_error",
          message: script.error?.message ?? "scripted failure",
        },
      }),
    });
  }
  return events.map((event, sequence) => ({ ...event, sequence_number: sequence }));
}

/** Scripted Responses endpoint with request recording; handler-only, so tests can call it directly. */
export class FakeResponsesServer {
  readonly requests: RecordedRequest[] = [];
  #waiters: Array<{ count: number; resolve: () => void }> = [];
  #server?: RunningServer;
  /** Requests served so far per route name (`""`: the main script). */
  #served = new Map<string, number>();

  constructor(readonly scenario: Scenario, readonly options: FakeServerOptions = {}) {}

  /** Resolves once at least `count` requests to /responses have been received. */
  waitForRequests(count: number): Promise<void> {
    if (this.requests.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ count, resolve }));
  }

  async start(port = 0, hostname = "127.0.0.1"): Promise<RunningServer> {
    this.#server = await serveHttp({ port, hostname }, (request) => this.handle(request));
    return this.#server;
  }

  /** Base URL for a provider entry (`base_url`), with the `/v1` prefix clients expect. */
  get baseUrl(): string {
    if (!this.#server) throw new Error("fake server is not started");
    return `${this.#server.url}/v1`;
  }

  /** The requests that broke the invariants (each was answered with a 400). */
  get invalidRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.violations !== undefined);
  }

  /** Stops serving; unless lenient, fails if any request broke the invariants. */
  async close(): Promise<void> {
    await this.#server?.close();
    const invalid = this.invalidRequests;
    if (invalid.length > 0 && !this.options.lenient) throw new InvalidRequestsError(invalid);
  }

  /**
   * The requests from index `from` on, grouped by the script that answered them: each route's in
   * the scenario's order, then the main script's; each group in order of arrival. Arrival order
   * across scripts is a race between agents; this order is not, and it keeps the main agent's last
   * request last.
   */
  requestsByScript(from = 0): RecordedRequest[] {
    const rank = (request: RecordedRequest) => {
      const at = this.scenario.routes.findIndex((route) => route.name === request.route);
      return at < 0 ? this.scenario.routes.length : at;
    };
    return this.requests.slice(from).map((request, i) => ({ request, i })).sort((a, b) =>
      rank(a.request) - rank(b.request) || a.i - b.i
    ).map(({ request }) => request);
  }

  /** The first route whose header the request carries (and matches), or `undefined` for the main script. */
  #routeOf(headers: Headers): ScriptRoute | undefined {
    return this.scenario.routes.find((route) => {
      const value = headers.get(route.header);
      return value !== null && (route.value === undefined || value === route.value) &&
        (route.contains === undefined || value.includes(route.contains));
    });
  }

  async handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (request.method === "GET" && /\/(health|healthz)$/.test(url.pathname)) {
      return Response.json({ ok: true });
    }
    if (request.method === "GET" && /\/models$/.test(url.pathname)) {
      return Response.json({
        object: "list",
        data: [{ id: "fake-model", object: "model", owned_by: "tscodex" }],
        models: [],
      });
    }
    if (request.method !== "POST" || !/\/responses(\/compact)?$/.test(url.pathname)) {
      return Response.json(
        { error: { message: `fake server: no route for ${request.method} ${url.pathname}` } },
        { status: 404 },
      );
    }
    const text = await request.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
    const index = this.requests.length;
    const route = this.#routeOf(request.headers);
    const violations = typeof body === "string" ? [] : requestInvariantViolations(body);
    const recorded: RecordedRequest = {
      index,
      method: request.method,
      path: url.pathname,
      query: url.search,
      headers: redactHeaders(request.headers),
      body,
      ...(route ? { route: route.name } : {}),
      ...(violations.length > 0 ? { violations } : {}),
    };
    this.requests.push(recorded);
    if (this.options.recordDir) {
      await mkdir(this.options.recordDir, { recursive: true });
      await appendFile(
        join(this.options.recordDir, "requests.jsonl"),
        JSON.stringify(recorded) + "\n",
      );
    }
    this.#waiters = this.#waiters.filter((
      w,
    ) => (w.count <= this.requests.length ? (w.resolve(), false) : true));
    if (typeof body === "string") {
      return Response.json({
        error: {
          message: "fake server: the request body is not JSON",
          type: "invalid_request_error",
          code: "invalid_json",
          param: null,
        },
      }, { status: 400 });
    }
    if (violations.length > 0) {
      return Response.json({
        error: {
          message: `fake server: request #${index} breaks the Responses API's rules: ` +
            violations.join("; "),
          type: "invalid_request_error",
          code: "invalid_request",
          param: "input",
        },
      }, { status: 400 });
    }
    if (url.pathname.endsWith("/compact")) return Response.json(compaction(body, index));

    const { responses, after_last } = route ?? this.scenario;
    const key = route?.name ?? "";
    const position = this.#served.get(key) ?? 0;
    this.#served.set(key, position + 1);
    const script = responses[position] ??
      (after_last === "repeat_last" ? responses[responses.length - 1] : undefined);
    if (!script) {
      const which = route ? ` route "${route.name}"` : "";
      return Response.json({
        error: {
          type: "fake_server_exhausted",
          message: `fake server: scenario "${this.scenario.name}"${which} scripts ` +
            `${responses.length} response(s) but received request #${position + 1}`,
        },
      }, { status: 500 });
    }
    return this.#respond(script, body, position, route?.name);
  }

  async #respond(script: ScriptedResponse, body: unknown, index: number, routeName?: string) {
    const fault = script.fault;
    if (fault?.kind === "delay") await sleep(fault.ms);
    if (fault?.kind === "http_status") {
      const payload = fault.body ??
        { error: { message: `scripted HTTP ${fault.status}`, type: "fake_fault" } };
      return new Response(typeof payload === "string" ? payload : JSON.stringify(payload), {
        status: fault.status,
        headers: { "content-type": "application/json", ...fault.headers },
      });
    }
    const request_ = body as { model?: unknown; input?: unknown };
    const prefix = routeName ? `${routeName}_` : "";
    const events = scriptEvents(script, {
      responseId: script.id ?? `resp_${prefix}${String(index + 1).padStart(4, "0")}`,
      model: typeof request_?.model === "string" ? request_.model : "fake-model",
      input: request_?.input,
      requestIndex: index,
      request: typeof body === "object" && body !== null ? body as Record<string, unknown> : {},
      idPrefix: prefix,
    });
    // Without `stream: true` the API answers with the final response object alone.
    const streamed = (body as { stream?: unknown })?.stream === true ||
      fault?.kind === "cut" || fault?.kind === "stall";
    if (!streamed) {
      const response = events[events.length - 1].response as { status: string; error: unknown };
      return response.status === "failed"
        ? Response.json({ error: response.error }, { status: 500 })
        : Response.json(response);
    }
    const limit = fault?.kind === "cut" || fault?.kind === "stall"
      ? fault.after_events
      : events.length;
    const encoder = new TextEncoder();
    // The body's cancel() is how every runtime reports a client that went away mid-stream.
    const gone = new AbortController();
    const signal = gone.signal;
    const stream = new ReadableStream<Uint8Array>({
      cancel() {
        gone.abort();
      },
      async start(controller) {
        for (let i = 0; i < Math.min(limit, events.length); i++) {
          if (signal.aborted) break;
          if (i > 0 && script.event_delay_ms > 0) await sleep(script.event_delay_ms, signal);
          controller.enqueue(encoder.encode(encodeJsonEvent(events[i])));
        }
        if (fault?.kind === "stall") {
          await (fault.ms === undefined
            ? new Promise<void>((resolve) =>
              signal.addEventListener("abort", () => resolve(), { once: true })
            )
            : sleep(fault.ms, signal));
        }
        try {
          controller.close();
        } catch {
          // The client went away first; nothing left to close.
        }
      },
    });
    return new Response(stream, { status: 200, headers: SSE_HEADERS });
  }
}
