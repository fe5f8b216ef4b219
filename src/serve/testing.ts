// Test support for the proxy: scripted chat-completions and Anthropic-messages backends over real
// HTTP, and the proxy itself on a free port. Each backend answers request N with reply N,
// captures every request, and rejects bodies that break its wire schema or leave a tool call
// unanswered, as real backends do.
import { Buffer } from "node:buffer";
import { connect } from "node:net";
import { spawn } from "node:child_process";
import {
  encodeSseFrame,
  readSse,
  type ResponseEvent,
  type ResponsesRequest,
} from "../protocol/mod.ts";
import { ChatRequest, MessagesRequest } from "../protocol/backends/mod.ts";
import { type RunningServer, serveHttp } from "../platform/mod.ts";
// Test support only: the proxy is driven by the project's own client, as the agent uses it.
import { Secret } from "../config/mod.ts";
import { ResponsesClient } from "../model/mod.ts";
import { within } from "../testing/mod.ts";
import { chatProfile } from "./chat_profiles.ts";
import { type ProxyOptions, ResponsesProxy } from "./proxy.ts";
import type { DownstreamApi } from "./downstream.ts";

type Json = Record<string, unknown>;

export type BackendReply =
  /**
   * SSE data payloads; `end` says how the stream stops: properly, a clean close, a reset, or
   * not at all (open and silent, or sending only keep-alive comments, until the client leaves).
   */
  | { chunks: unknown[]; end?: StreamEnd }
  /** An HTTP error; `{{url}}` in the body becomes the URL the request was sent to. */
  | { status: number; body: string };

type StreamEnd = "done" | "close" | "break" | "stall" | "keepalive";

export interface CapturedRequest {
  method: string;
  path: string;
  /** The query string, `?` included, or "". */
  query: string;
  headers: Record<string, string>;
  body: Json;
}

/** The wire's own complaint about an unanswered tool call, or undefined when all are paired. */
function unpairedCalls(api: DownstreamApi, body: Json): string | undefined {
  const messages = body.messages as Json[];
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i];
    if (api === "chat") {
      const ids = ((message.tool_calls ?? []) as Json[]).map((c) => c.id);
      const following = messages.slice(i + 1, i + 1 + ids.length);
      if (ids.some((id, k) => following[k]?.role !== "tool" || following[k]?.tool_call_id !== id)) {
        return `messages[${i}]: an assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'`;
      }
      if (message.role === "tool") {
        const before = messages.slice(0, i).reverse().find((m) => m.role !== "tool");
        const calls = (before?.tool_calls ?? []) as Json[];
        if (!calls.some((c) => c.id === message.tool_call_id)) {
          return `messages[${i}]: tool message for unknown tool_call_id ${message.tool_call_id}`;
        }
      }
    } else {
      const content = message.content as Json[];
      const uses = content.filter((b) => b.type === "tool_use").map((b) => b.id);
      const next = (messages[i + 1]?.content ?? []) as Json[];
      const results = next.filter((b) => b.type === "tool_result").map((b) => b.tool_use_id);
      if (uses.some((id) => !results.includes(id))) {
        return `messages.${i}: tool_use ids were found without tool_result blocks immediately after`;
      }
    }
  }
  return undefined;
}

export class ScriptedBackend {
  readonly requests: CapturedRequest[] = [];
  #server?: RunningServer;
  #hungUp = Promise.withResolvers<void>();

  /** Resolves when a client drops a stream before it ended. */
  get hungUp(): Promise<void> {
    return within(this.#hungUp.promise, "the client to drop the backend's stream");
  }

  constructor(readonly api: DownstreamApi, readonly replies: BackendReply[]) {}

  async start(): Promise<this> {
    this.#server = await serveHttp({ port: 0, hostname: "127.0.0.1" }, (r) => this.#handle(r));
    return this;
  }

  get url(): string {
    return `${this.#server!.url}/v1`;
  }

  /** The captured bodies of the POSTs, in order. */
  get bodies(): Json[] {
    return this.requests.filter((r) => r.method === "POST").map((r) => r.body);
  }

  close(): Promise<void> {
    return this.#server?.close() ?? Promise.resolve();
  }

  async #handle(request: Request): Promise<Response> {
    const { pathname: path, search: query } = new URL(request.url);
    const headers = Object.fromEntries(request.headers);
    if (request.method === "GET" && path === "/v1/models") {
      this.requests.push({ method: "GET", path, query, headers, body: {} });
      return Response.json({ object: "list", data: [{ id: "backend-model", object: "model" }] });
    }
    const body = await request.json() as Json;
    this.requests.push({ method: request.method, path, query, headers, body });
    const expected = this.api === "chat" ? "/v1/chat/completions" : "/v1/messages";
    if (path !== expected) return new Response(`no route ${path}`, { status: 404 });
    const schema = this.api === "chat" ? ChatRequest : MessagesRequest;
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return new Response(`schema: ${issue.path.join(".")}: ${issue.message}`, { status: 422 });
    }
    const unpaired = unpairedCalls(this.api, body);
    if (unpaired) return new Response(unpaired, { status: 400 });
    const reply = this.replies[this.bodies.length - 1];
    if (!reply) return new Response("scripted backend: no reply left", { status: 500 });
    if ("status" in reply) {
      return new Response(reply.body.replaceAll("{{url}}", request.url), { status: reply.status });
    }
    return this.#stream(reply.chunks, reply.end ?? "done");
  }

  #stream(chunks: unknown[], end: StreamEnd): Response {
    const encoder = new TextEncoder();
    // A string chunk is sent as it is, to script malformed data.
    const frames = chunks.map((chunk) => {
      if (typeof chunk === "string") return encodeSseFrame({ data: chunk });
      const type = (chunk as Json).type;
      return encodeSseFrame({
        ...(this.api === "messages" && typeof type === "string" ? { event: type } : {}),
        data: JSON.stringify(chunk),
      });
    });
    if (end === "done" && this.api === "chat") frames.push(encodeSseFrame({ data: "[DONE]" }));
    const hungUp = this.#hungUp;
    let keepAlive: ReturnType<typeof setInterval> | undefined;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const frame of frames) controller.enqueue(encoder.encode(frame));
        if (end === "break") controller.error(new Error("scripted connection reset"));
        else if (end === "keepalive") {
          const comment = encoder.encode(": keep-alive\n\n");
          keepAlive = setInterval(() => controller.enqueue(comment), 20);
        } else if (end !== "stall") controller.close();
      },
      cancel() {
        clearInterval(keepAlive);
        hungUp.resolve();
      },
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  }
}

/** Chat-completions chunks. */
export const chat = {
  delta(delta: Json, finish?: string): Json {
    return {
      object: "chat.completion.chunk",
      choices: [{ index: 0, delta, finish_reason: finish ?? null }],
    };
  },
  text(...pieces: string[]): Json[] {
    return pieces.map((content) => chat.delta({ content }));
  },
  toolCall(index: number, id: string, name: string, ...argPieces: string[]): Json[] {
    return [
      chat.delta({
        tool_calls: [{ index, id, type: "function", function: { name, arguments: "" } }],
      }),
      ...argPieces.map((args) =>
        chat.delta({ tool_calls: [{ index, function: { arguments: args } }] })
      ),
    ];
  },
  finish(reason: string): Json {
    return chat.delta({}, reason);
  },
  usage(prompt: number, completion: number, cached = 0, reasoning = 0): Json {
    return {
      object: "chat.completion.chunk",
      choices: [],
      usage: {
        prompt_tokens: prompt,
        completion_tokens: completion,
        total_tokens: prompt + completion,
        prompt_tokens_details: { cached_tokens: cached },
        completion_tokens_details: { reasoning_tokens: reasoning },
      },
    };
  },
};

/** Anthropic-messages stream events. */
export const anthropic = {
  start(input: number, cacheRead = 0, cacheWrite = 0): Json {
    return {
      type: "message_start",
      message: {
        id: "msg_backend",
        type: "message",
        role: "assistant",
        content: [],
        usage: {
          input_tokens: input,
          output_tokens: 1,
          cache_read_input_tokens: cacheRead,
          cache_creation_input_tokens: cacheWrite,
        },
      },
    };
  },
  text(index: number, ...pieces: string[]): Json[] {
    return [
      { type: "content_block_start", index, content_block: { type: "text", text: "" } },
      ...pieces.map((text) => ({
        type: "content_block_delta",
        index,
        delta: { type: "text_delta", text },
      })),
      { type: "content_block_stop", index },
    ];
  },
  thinking(index: number, thinking: string, signature: string): Json[] {
    return [
      {
        type: "content_block_start",
        index,
        content_block: { type: "thinking", thinking: "", signature: "" },
      },
      { type: "content_block_delta", index, delta: { type: "thinking_delta", thinking } },
      { type: "content_block_delta", index, delta: { type: "signature_delta", signature } },
      { type: "content_block_stop", index },
    ];
  },
  toolUse(index: number, id: string, name: string, ...jsonPieces: string[]): Json[] {
    return [
      {
        type: "content_block_start",
        index,
        content_block: { type: "tool_use", id, name, input: {} },
      },
      ...jsonPieces.map((partial_json) => ({
        type: "content_block_delta",
        index,
        delta: { type: "input_json_delta", partial_json },
      })),
      { type: "content_block_stop", index },
    ];
  },
  stop(reason: string, outputTokens: number): Json[] {
    return [
      {
        type: "message_delta",
        delta: { stop_reason: reason },
        usage: { output_tokens: outputTokens },
      },
      { type: "message_stop" },
    ];
  },
};

export interface RunningProxy {
  proxy: ResponsesProxy;
  /** Base URL with `/v1`, as a provider's base_url. */
  url: string;
  close(): Promise<void>;
}

export async function startProxy(
  backend: ScriptedBackend,
  options: ProxyTestOptions = {},
): Promise<RunningProxy> {
  const proxy = new ResponsesProxy({
    ...options,
    downstream: {
      url: options.downstreamUrl ?? backend.url,
      api: backend.api,
      profile: chatProfile(options.provider),
      apiKey: options.downstreamKey,
      idleTimeoutMs: options.idleTimeoutMs ?? 10_000,
    },
  });
  const server = await serveHttp({ port: 0, hostname: "127.0.0.1" }, proxy.handle);
  return { proxy, url: `${server.url}/v1`, close: () => server.close() };
}

/** A chat backend answering with `replies` and a proxy in front of it, for the length of `body`. */
export async function withProxy(
  replies: BackendReply[],
  options: ProxyTestOptions,
  body: (proxy: RunningProxy, backend: ScriptedBackend) => Promise<void>,
): Promise<void> {
  const backend = await new ScriptedBackend("chat", replies).start();
  const proxy = await startProxy(backend, options);
  try {
    await body(proxy, backend);
  } finally {
    await proxy.close();
    await backend.close();
  }
}

export interface Outcome {
  events: ResponseEvent[];
  error?: Error & { code?: string };
}

/** Streams one request through the proxy with the project's own Responses client. */
export async function drive(url: string, body: Json, apiKey?: string): Promise<Outcome> {
  const client = new ResponsesClient({
    id: "serve-under-test",
    baseUrl: url,
    apiKey: apiKey === undefined ? undefined : new Secret(apiKey),
    requestMaxRetries: 0,
    streamIdleTimeoutMs: 10_000,
  });
  const events: ResponseEvent[] = [];
  try {
    const request = { model: "test-model", input: [], stream: true, ...body } as ResponsesRequest;
    for await (const event of client.stream({ body: request, headers: {} })) events.push(event);
    return { events };
  } catch (err) {
    return { events, error: err as Error };
  }
}

export type ProxyTestOptions = Partial<Omit<ProxyOptions, "downstream">> & {
  /** The backend's URL as serve is given it, when it differs from the backend's own. */
  downstreamUrl?: string;
  provider?: string;
  downstreamKey?: string;
  idleTimeoutMs?: number;
};

/**
 * Sends `requests` one after another through a fresh backend (answering with `replies`) and
 * proxy, checks every stream's invariants, and returns what the client and the backend saw.
 */
export async function runThrough(
  api: DownstreamApi,
  replies: BackendReply[],
  requests: Json[],
  options: ProxyTestOptions = {},
): Promise<{ outcomes: Outcome[]; bodies: Json[]; backend: ScriptedBackend }> {
  const backend = await new ScriptedBackend(api, replies).start();
  const proxy = await startProxy(backend, options);
  try {
    const outcomes: Outcome[] = [];
    for (const request of requests) {
      const outcome = await drive(proxy.url, request);
      assertConsistentStream(outcome.events);
      outcomes.push(outcome);
    }
    return { outcomes, bodies: backend.bodies, backend };
  } finally {
    await proxy.close();
    await backend.close();
  }
}

export function userText(text: string): Json {
  return { type: "message", role: "user", content: [{ type: "input_text", text }] };
}

/**
 * The invariants every stream from the proxy must hold: one terminal event, last; every delta
 * names an announced item; every announced item is closed once, with the same id and call id;
 * and the terminal response's output is exactly the closed items, in output order.
 */
export function assertConsistentStream(events: readonly ResponseEvent[]): void {
  const fail = (message: string) => {
    throw new Error(`inconsistent stream: ${message}\n${JSON.stringify(events, null, 1)}`);
  };
  const terminal = events.filter((e) =>
    ["response.completed", "response.incomplete", "response.failed"].includes(e.type)
  );
  if (terminal.length > 1 || (terminal.length === 1 && terminal[0] !== events.at(-1))) {
    fail("terminal event is not single and last");
  }
  const added = new Map<string, Json>();
  const done = new Map<number, Json>();
  events.forEach((event, position) => {
    if (typeof event.sequence_number === "number" && event.sequence_number !== position) {
      fail(`sequence_number ${event.sequence_number} at position ${position}`);
    }
    const e = event as Json;
    const item = e.item as Json | undefined;
    if (event.type === "response.output_item.added") added.set(String(item!.id), item!);
    else if (event.type === "response.output_item.done") {
      const first = added.get(String(item!.id));
      if (!first) fail(`done without added: ${item!.id}`);
      if (first!.call_id !== item!.call_id) fail(`call_id changed for ${item!.id}`);
      if (done.has(e.output_index as number)) fail(`output_index ${e.output_index} closed twice`);
      done.set(e.output_index as number, item!);
    } else if (typeof e.item_id === "string" && !added.has(e.item_id)) {
      fail(`${event.type} for unannounced item ${e.item_id}`);
    }
  });
  if (terminal.length === 1 && terminal[0].type !== "response.failed") {
    const output = ((terminal[0] as Json).response as Json).output as Json[];
    const expected = [...done.entries()].sort((a, b) => a[0] - b[0]).map(([, item]) => item);
    if (JSON.stringify(output) !== JSON.stringify(expected)) fail("terminal output != done items");
    if (done.size !== added.size) fail("an announced item was never closed");
  }
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * One request written byte for byte on a fresh TCP connection, for what fetch will not send
 * (a forged Host, a Content-Length the body never reaches). Resolves once the whole response
 * is in; the connection is then closed without sending the rest of any body.
 */
export function rawHttp(url: string, head: string, body = ""): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  const done = new Promise<RawResponse>((resolve, reject) => {
    const socket = connect(Number(port), hostname.replace(/^\[(.*)\]$/, "$1"));
    let data = Buffer.alloc(0);
    const finish = () => {
      const end = data.indexOf("\r\n\r\n");
      if (end < 0) return false;
      const lines = data.subarray(0, end).toString("latin1").split("\r\n");
      const headers = Object.fromEntries(
        lines.slice(1).map((line) => {
          const at = line.indexOf(":");
          return [line.slice(0, at).trim().toLowerCase(), line.slice(at + 1).trim()];
        }),
      );
      const length = Number(headers["content-length"] ?? NaN);
      const rest = data.subarray(end + 4);
      if (!(rest.length >= length)) return false;
      socket.destroy();
      resolve({
        status: Number(lines[0].split(" ")[1]),
        headers,
        body: rest.subarray(0, length).toString("utf8"),
      });
      return true;
    };
    socket.on("connect", () => socket.write(head + body));
    socket.on("data", (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      finish();
    });
    socket.on("error", reject);
    socket.on("close", () => {
      if (!finish()) reject(new Error(`connection closed before a whole response: ${data}`));
    });
  });
  return within(done, `the response to a raw HTTP request to ${url}`);
}

/** POSTs a create request as JSON; `stream` is left as given. */
export function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

/** The raw JSON events of a streamed create request, as the server sent them. */
export async function rawEvents(proxyUrl: string, body: Json): Promise<Json[]> {
  const response = await postJson(`${proxyUrl}/responses`, { ...body, stream: true });
  if (!response.ok) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
  const events: Json[] = [];
  for await (const message of readSse(response.body!)) events.push(JSON.parse(message.data));
  return events;
}

/** How a run of upstream `codex exec` ended. */
export interface CodexRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `codex exec PROMPT` of the upstream binary, with CODEX_HOME `home`, in `work`, sandbox off.
 * Asynchronous, so a proxy serving it can run in this very process; killed at a deadline.
 */
export async function runUpstreamCodex(
  binary: string,
  home: string,
  work: string,
  prompt: string,
): Promise<CodexRun> {
  const child = spawn(binary, [
    "exec",
    "--skip-git-repo-check",
    "-s",
    "danger-full-access",
    prompt,
  ], {
    cwd: work,
    env: {
      PATH: "/usr/local/bin:/usr/bin:/bin",
      HOME: work,
      CODEX_HOME: home,
      FAKE_API_KEY: "sk-x",
      TERM: "xterm",
      SHELL: "/bin/bash",
      LANG: "C.UTF-8",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
  try {
    const status = await within(closed, `upstream codex exec "${prompt}"`);
    return { status, stdout, stderr };
  } finally {
    child.kill("SIGKILL");
  }
}
