// The proxy as a Web-standard fetch handler: routing, client keys, request validation,
// previous_response_id expansion, and the Responses stream (or one JSON object for
// `stream: false`) for each request.
import { timingSafeEqual } from "node:crypto";
import { Buffer } from "node:buffer";
import { encodeJsonEvent, type ResponseItem, SSE_HEADERS } from "../protocol/mod.ts";
import { type AccessOptions, AccessPolicy } from "./access.ts";
import { readJsonObject } from "./request_body.ts";
import type { TokenDump } from "./token_dump.ts";
import { chainHistory, findItem, identifyInput, inputItemList } from "./response_chain.ts";
import { compact } from "./compaction.ts";
import { toConversation } from "./conversation.ts";
import { Downstream, type DownstreamOptions } from "./downstream.ts";
import { isWebSocketUpgrade, upgradeWebSocket } from "../platform/mod.ts";
import { type Dump, redactHeaders } from "./dump.ts";
import { DownstreamError, RequestError } from "./errors.ts";
import { newResponseId } from "./item_ids.ts";
import {
  CreateRequest,
  normalizeInput,
  refuseOrphanOutputs,
  refuseUnsupported,
} from "./input_items.ts";
import { type Payload, respond, ResponseTranslator } from "./response.ts";
import {
  LayeredResponseStore,
  MemoryResponseStore,
  type ResponseStore,
  type StoredResponse,
} from "./response_store.ts";
import { DEFAULT_SOCKET_AGE_MS, ResponsesSocket } from "./websocket.ts";

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
  /** Token ids of every downstream stream, for training (`--dump-tokens`). */
  tokenDump?: TokenDump;
  /** How long a WebSocket connection may live (the Open Responses limit is an hour). */
  socketMaxAgeMs?: number;
  /** One line per finished request; never given request bodies or headers. */
  log?: (line: string) => void;
}

/** Where a response was asked for, and what it may use beyond the shared store. */
export interface CreateContext {
  /** The route (or transport) named in dumps. */
  path: string;
  headers: Headers;
  /** Aborted when the client leaves. */
  signal: AbortSignal;
  /** A WebSocket connection's own responses: looked up first, and always written. */
  local?: MemoryResponseStore;
  /** `generate: false` on a WebSocket: the response is created and kept, nothing is generated. */
  warmup?: boolean;
}

/** A response that generates nothing: its input is kept so a later turn can continue from it. */
async function* warmup(translator: ResponseTranslator): AsyncGenerator<Payload[]> {
  yield translator.start();
  yield [translator.finish()];
}

export const DEFAULT_STORE_SIZE = 256;
export const DEFAULT_STORE_BYTES = 128 * 1024 * 1024;
export const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;

const TERMINAL = new Set(["response.completed", "response.incomplete", "response.failed"]);
const ROUTES = "POST /v1/responses (GET with a WebSocket upgrade), GET and DELETE " +
  "/v1/responses/{id}, GET /v1/responses/{id}/input_items, POST /v1/responses/compact, " +
  "GET /v1/models and GET /health";

type Json = Record<string, unknown>;

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export class ResponsesProxy {
  readonly downstream: Downstream;
  readonly store: ResponseStore;
  readonly #access: AccessPolicy;
  readonly #maxBodyBytes: number;

  constructor(readonly options: ProxyOptions) {
    this.downstream = new Downstream({
      ...options.downstream,
      dump: options.dump,
      tokenDump: options.tokenDump,
    });
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
    const url = new URL(request.url);
    const path = url.pathname.replace(/\/+$/, "").replace(/^\/v1(?=\/)/, "") || "/";
    const only = (method: string) => {
      if (request.method !== method) {
        throw new RequestError(405, `${url.pathname} accepts ${method} only`, "method_not_allowed");
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
    if (path === "/models") {
      only("GET");
      return this.downstream.models();
    }
    if (path === "/responses") {
      if (request.method === "GET") return this.#upgrade(request, url.pathname);
      only("POST");
      return this.#create(request, url.pathname);
    }
    if (path === "/responses/compact") {
      only("POST");
      return this.#compact(request);
    }
    const stored = /^\/responses\/([^/]+)(\/input_items|\/cancel)?$/.exec(path);
    if (stored) {
      const [, id, sub] = stored;
      if (sub === "/cancel") {
        only("POST");
        throw new RequestError(
          400,
          "background responses are not supported by this proxy, so there is none to cancel",
          "unsupported_parameter",
        );
      }
      if (sub === "/input_items") {
        only("GET");
        return this.#entry(id).then((entry) =>
          Response.json(inputItemList(entry, url.searchParams))
        );
      }
      if (request.method === "DELETE") return this.#delete(id);
      only("GET");
      return this.#entry(id).then((entry) => Response.json(entry.response));
    }
    throw new RequestError(
      404,
      `no route for ${request.method} ${url.pathname}; this proxy speaks the Responses API and ` +
        `serves ${ROUTES}`,
      "not_found",
    );
  }

  /** GET on the responses route: the WebSocket mode, which nothing else may ask for. */
  #upgrade(request: Request, path: string): Response {
    if (!isWebSocketUpgrade(request)) {
      throw new RequestError(
        426,
        `GET ${path} opens a WebSocket (send \`Upgrade: websocket\`); POST creates a response ` +
          "over HTTP",
        "upgrade_required",
      );
    }
    // The headers are copied: Deno closes the request's own once it is upgraded.
    return upgradeWebSocket(
      request,
      new ResponsesSocket(this, new Headers(request.headers), {
        maxAgeMs: this.options.socketMaxAgeMs ?? DEFAULT_SOCKET_AGE_MS,
        maxMessageBytes: this.#maxBodyBytes,
      }),
    );
  }

  /** The stored response `id`, or 404. */
  async #entry(id: string): Promise<StoredResponse> {
    const entry = await this.store.get(id);
    if (!entry) throw notFound(id, this.store);
    return entry;
  }

  async #delete(id: string): Promise<Response> {
    if (!await this.store.delete(id)) throw notFound(id, this.store);
    return Response.json({ id, object: "response.deleted", deleted: true });
  }

  /** The body of a create (or compact) request, checked, and its input in canonical form. */
  async #request(
    request: Request,
  ): Promise<{ raw: Json; body: CreateRequest; input: ResponseItem[] }> {
    return await this.check(await readJsonObject(request, this.#maxBodyBytes));
  }

  /**
   * A create request's JSON object, checked, and its input in canonical form; `store` resolves
   * item references (a WebSocket's view of the responses, or the shared store).
   */
  async check(
    raw: Json,
    store: ResponseStore = this.store,
  ): Promise<{ raw: Json; body: CreateRequest; input: ResponseItem[] }> {
    const parsed = CreateRequest.safeParse(raw);
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
    refuseUnsupported(raw);
    const input = await normalizeInput(parsed.data.input, {
      lookup: (id) => findItem(store, id),
      fileRefusal: (file) => this.downstream.fileRefusal(file),
    });
    return { raw, body: parsed.data, input };
  }

  /** The conversation a request stands for: the chain it continues, then its own input. */
  async #history(
    body: CreateRequest,
    input: ResponseItem[],
    store: ResponseStore = this.store,
  ): Promise<ResponseItem[]> {
    const previous = body.previous_response_id;
    const chain = previous ? await chainHistory(store, previous) : [];
    refuseOrphanOutputs(input, chain);
    return [...chain, ...input];
  }

  async #compact(request: Request): Promise<Response> {
    const { raw, body, input } = await this.#request(request);
    const own = identifyInput(input, newResponseId());
    const history = await this.#history(body, own);
    const conversation = toConversation(body, history);
    // A summary that fails to arrive must not pass for one.
    try {
      return Response.json(
        await compact(raw, history, conversation, this.downstream, request.signal),
      );
    } catch (err) {
      if (err instanceof DownstreamError) return downstreamFailure(err);
      throw err;
    }
  }

  async #create(request: Request, path: string): Promise<Response> {
    const { raw, body, input } = await this.#request(request);
    // The body's cancel() is how every runtime reports a client that left mid-stream
    // (Deno's request.signal also fires after a response completes normally).
    const abort = new AbortController();
    const events = await this.create(raw, body, input, {
      path,
      headers: request.headers,
      signal: abort.signal,
    });
    if (body.stream !== true) return await collect(events);
    const encoder = new TextEncoder();
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const next = await events.next();
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(next.value.map(encodeJsonEvent).join("")));
      },
      async cancel() {
        abort.abort();
        await events.return(undefined);
      },
    });
    return new Response(stream, { status: 200, headers: SSE_HEADERS });
  }

  /**
   * One response, whichever transport asked for it: its events in batches, the last one
   * terminal. The history behind `previous_response_id` is resolved first, so a missing link is
   * a RequestError before any event. The finished response is kept in `local` (when given)
   * always, and in the shared store unless the request said `store: false`.
   */
  async create(
    raw: Json,
    body: CreateRequest,
    input: ResponseItem[],
    context: CreateContext,
  ): Promise<AsyncGenerator<Payload[]>> {
    const started = Date.now();
    const { local, signal } = context;
    const view = local ? new LayeredResponseStore(local, this.store) : this.store;
    const history = await this.#history(body, input, view);
    const conversation = toConversation(body, history);
    const translator = new ResponseTranslator(raw, conversation.tools);
    const stored = identifyInput(input, translator.id);
    const previous = body.previous_response_id ?? undefined;
    const { dump, log } = this.options;
    dump?.write({
      kind: "request",
      response_id: translator.id,
      path: context.path,
      headers: redactHeaders(context.headers),
      body: raw,
    });
    const { store, downstream } = this;
    const source = context.warmup
      ? warmup(translator)
      : respond(conversation, downstream, translator, signal);
    return (async function* (): AsyncGenerator<Payload[]> {
      let terminal: Payload | undefined;
      try {
        for await (const batch of source) {
          const last = batch[batch.length - 1];
          if (TERMINAL.has(last.type)) {
            terminal = last;
            const entry: StoredResponse = {
              response: last.response as StoredResponse["response"],
              input: stored,
              ...(previous ? { previousResponseId: previous } : {}),
            };
            // Stored before the client sees the end, so a chained request can follow at once.
            await local?.put(translator.id, entry);
            if (body.store !== false) {
              // A store that cannot take it costs the continuation, not the answer in hand.
              await store.put(translator.id, entry).catch((err) =>
                log?.(`${translator.id} was not stored: ${(err as Error).message}`)
              );
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
    })();
  }
}

function notFound(id: string, store: ResponseStore): RequestError {
  return new RequestError(
    404,
    `no response "${id}" is stored here: ${store.description}`,
    "response_not_found",
    "response_id",
  );
}

/** The HTTP status a downstream failure is answered with outside a stream. */
const FAILURE_STATUS: Readonly<Record<string, number>> = {
  rate_limit_exceeded: 429,
  context_length_exceeded: 400,
  invalid_prompt: 400,
};

function downstreamFailure(error: { code: string; message: string }): Response {
  return Response.json({
    error: { message: error.message, type: "downstream_error", code: error.code, param: null },
  }, { status: FAILURE_STATUS[error.code] ?? 502 });
}

/** `stream: false`: the final response object, or the failure as an HTTP error. */
async function collect(events: AsyncGenerator<Payload[]>): Promise<Response> {
  let terminal: Payload | undefined;
  for await (const batch of events) terminal = batch[batch.length - 1];
  const response = terminal?.response as
    | { status?: string; error?: { code: string; message: string } }
    | undefined;
  if (!response || response.status === "failed") {
    return downstreamFailure(
      response?.error ?? { code: "server_error", message: "the response ended without a result" },
    );
  }
  return Response.json(response);
}
