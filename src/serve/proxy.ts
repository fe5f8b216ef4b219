// The proxy as a Web-standard fetch handler: routing, client keys, request validation,
// previous_response_id expansion, and the Responses stream (or one JSON object for
// `stream: false`) for each request.
import { timingSafeEqual } from "node:crypto";
import { Buffer } from "node:buffer";
import {
  encodeJsonEvent,
  type ResponseItem,
  ResponsesRequest,
  SSE_HEADERS,
} from "../protocol/mod.ts";
import { type AccessOptions, AccessPolicy } from "./access.ts";
import { inputItems, toConversation } from "./conversation.ts";
import { Downstream, type DownstreamOptions } from "./downstream.ts";
import { type Dump, redactHeaders } from "./dump.ts";
import { RequestError } from "./errors.ts";
import { type Payload, respond, ResponseTranslator } from "./response.ts";
import { MemoryResponseStore, type ResponseStore, type StoredResponse } from "./response_store.ts";

export interface ProxyOptions {
  downstream: DownstreamOptions;
  /** When set, every route but /health needs this key (`Authorization: Bearer` or `x-api-key`). */
  apiKey?: string;
  /** Who may call from a browser, and under which Host names. */
  access?: AccessOptions;
  /** The largest request body accepted; larger ones get 413 before they are read. */
  maxBodyBytes?: number;
  /** Where finished responses are kept; the default is in memory with the default limits. */
  store?: ResponseStore;
  dump?: Dump;
  /** One line per finished request; never given request bodies or headers. */
  log?: (line: string) => void;
}

export const DEFAULT_STORE_SIZE = 256;
export const DEFAULT_STORE_BYTES = 128 * 1024 * 1024;
export const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;
/** Deeper JSON is refused: serialising it again (dumps, the backend request) would overflow the stack. */
export const MAX_JSON_DEPTH = 256;

const TERMINAL = new Set(["response.completed", "response.incomplete", "response.failed"]);
const ROUTES = "POST /v1/responses, GET /v1/models and GET /health";

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function tooLarge(limit: number): RequestError {
  return new RequestError(
    413,
    `request body is larger than this server's limit of ${limit} bytes (--max-body-bytes)`,
    "request_too_large",
  );
}

/** The body as text, refused with 413 once it passes `limit` bytes, before the rest is read. */
async function readBody(request: Request, limit: number): Promise<string> {
  const declared = Number(request.headers.get("content-length") ?? "");
  if (declared > limit) throw tooLarge(limit);
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      reader.cancel().catch(() => {});
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total).toString("utf8");
}

/** Whether JSON `text` nests arrays and objects more than `limit` deep (strings skipped). */
export function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: the next character is escaped
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > limit) return true;
    } else if (c === 125 || c === 93) depth--;
  }
  return false;
}

export class ResponsesProxy {
  readonly downstream: Downstream;
  readonly store: ResponseStore;
  readonly #access: AccessPolicy;
  readonly #maxBodyBytes: number;

  constructor(readonly options: ProxyOptions) {
    this.downstream = new Downstream({ ...options.downstream, dump: options.dump });
    this.store = options.store ??
      new MemoryResponseStore({ entries: DEFAULT_STORE_SIZE, bytes: DEFAULT_STORE_BYTES });
    this.#access = new AccessPolicy(options.access);
    this.#maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  }

  /** The fetch handler; bind-free so it can be passed to `serveHttp` directly. */
  handle = async (request: Request): Promise<Response> => {
    const refused = this.#access.refusal(request);
    if (refused) return refused.toResponse();
    let response: Response;
    try {
      response = request.method === "OPTIONS"
        ? this.#access.preflight(request)
        : await this.#route(request);
    } catch (err) {
      if (err instanceof RequestError) response = err.toResponse();
      else {
        // Never the runtime's error page, never a stack: one line in the log, JSON to the client.
        this.options.log?.(`internal error: ${(err as Error)?.message ?? err}`);
        response = new RequestError(
          500,
          "the proxy failed to handle this request; its log has the cause",
          "internal_error",
        ).toResponse();
      }
    }
    return this.#access.decorate(request, response);
  };

  #authorized(request: Request): boolean {
    const expected = this.options.apiKey;
    if (!expected) return true;
    const bearer = /^Bearer\s+(.+)$/i.exec(request.headers.get("authorization") ?? "")?.[1];
    const given = bearer ?? request.headers.get("x-api-key") ?? "";
    return sameSecret(given.trim(), expected);
  }

  #route(request: Request): Promise<Response> | Response {
    const path = new URL(request.url).pathname.replace(/\/+$/, "") || "/";
    const only = (method: string) => {
      if (request.method !== method) {
        throw new RequestError(405, `${path} accepts ${method} only`, "method_not_allowed");
      }
    };
    if (path === "/health" || path === "/healthz") {
      only("GET");
      return Response.json({ ok: true });
    }
    if (!this.#authorized(request)) {
      throw new RequestError(
        401,
        "missing or wrong API key: send the key this proxy was started with (--api-key-env) " +
          "as `Authorization: Bearer <key>`",
        "invalid_api_key",
      );
    }
    switch (path) {
      case "/v1/models":
      case "/models":
        only("GET");
        return this.downstream.models();
      case "/v1/responses":
      case "/responses":
        only("POST");
        return this.#responses(request, path);
      default:
        throw new RequestError(
          404,
          `no route for ${request.method} ${path}; this proxy speaks the Responses API and serves ${ROUTES}`,
          "not_found",
        );
    }
  }

  async #parse(request: Request): Promise<{ raw: unknown; body: ResponsesRequest }> {
    const text = await readBody(request, this.#maxBodyBytes);
    if (!text.trim()) {
      throw new RequestError(400, "request body is empty; expected a JSON Responses request");
    }
    if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
      throw new RequestError(
        400,
        `request body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep`,
        "invalid_json",
      );
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new RequestError(
        400,
        `request body is not valid JSON: ${(err as Error).message}`,
        "invalid_json",
      );
    }
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
      throw new RequestError(400, "request body must be a JSON object (a Responses API request)");
    }
    const parsed = ResponsesRequest.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const param = issue.path.join(".");
      throw new RequestError(
        400,
        `invalid Responses request: ${param || "(body)"}: ${issue.message}`,
        "invalid_value",
        param || undefined,
      );
    }
    return { raw, body: parsed.data };
  }

  /** The stored conversation `previous` stands for: every input and output of its chain. */
  async #history(previous: string): Promise<ResponseItem[]> {
    const store = this.store;
    if (!store.enabled) {
      throw new RequestError(
        400,
        "previous_response_id is not supported by this proxy (its response store is off); " +
          "send the whole conversation in `input` instead",
        "unsupported_parameter",
        "previous_response_id",
      );
    }
    const chain: StoredResponse[] = [];
    for (let id: string | undefined = previous; id;) {
      const entry = await store.get(id);
      if (!entry) {
        const which = id === previous
          ? `previous response "${previous}" is not known to this proxy`
          : `previous response "${previous}" continues "${id}", which this proxy no longer has`;
        throw new RequestError(
          400,
          `${which}: ${store.description}`,
          "previous_response_not_found",
          "previous_response_id",
        );
      }
      chain.push(entry);
      id = entry.previousResponseId;
    }
    return chain.reverse().flatMap((entry) => [...entry.input, ...entry.response.output]);
  }

  async #responses(request: Request, path: string): Promise<Response> {
    const started = Date.now();
    const { raw, body } = await this.#parse(request);
    const input = inputItems(body);
    const previous = body.previous_response_id ?? undefined;
    const history = previous ? [...await this.#history(previous), ...input] : input;
    const conversation = toConversation(body, history);
    const translator = new ResponseTranslator(body.model, conversation.tools);
    const { dump, log } = this.options;
    dump?.write({
      kind: "request",
      response_id: translator.id,
      path,
      headers: redactHeaders(request.headers),
      body: raw,
    });
    // The body's cancel() is how every runtime reports a client that left mid-stream
    // (Deno's request.signal also fires after a response completes normally).
    const abort = new AbortController();
    const signal = abort.signal;
    const { store, downstream } = this;
    const events = async function* (): AsyncGenerator<Payload[]> {
      let terminal: Payload | undefined;
      try {
        for await (const batch of respond(conversation, downstream, translator, signal)) {
          const last = batch[batch.length - 1];
          if (TERMINAL.has(last.type)) {
            terminal = last;
            // Stored before the client sees the end, so a chained request can follow at once.
            if (body.store !== false) {
              await store.put(translator.id, {
                response: last.response as StoredResponse["response"],
                input,
                ...(previous ? { previousResponseId: previous } : {}),
              });
            }
          }
          yield batch;
        }
      } finally {
        const status = terminal
          ? String((terminal.response as { status: string }).status)
          : "abandoned by the client";
        dump?.write({ kind: "response", response_id: translator.id, status, event: terminal });
        log?.(`${translator.id} ${body.model}: ${status} in ${Date.now() - started} ms`);
      }
    };

    if (body.stream !== true) return await this.#collect(events());
    const iterator = events();
    const encoder = new TextEncoder();
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const next = await iterator.next();
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(next.value.map(encodeJsonEvent).join("")));
      },
      async cancel() {
        abort.abort();
        await iterator.return(undefined);
      },
    });
    return new Response(stream, { status: 200, headers: SSE_HEADERS });
  }

  /** `stream: false`: the terminal response object, or the failure as an HTTP error. */
  async #collect(events: AsyncGenerator<Payload[]>): Promise<Response> {
    let terminal: Payload | undefined;
    for await (const batch of events) terminal = batch[batch.length - 1];
    const response = terminal?.response as { status?: string; error?: unknown } | undefined;
    if (!response || response.status === "failed") {
      return Response.json({ error: response?.error ?? { message: "no response" } }, {
        status: 502,
      });
    }
    return Response.json(response);
  }
}
