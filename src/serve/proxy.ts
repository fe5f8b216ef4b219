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
import { inputItems, toConversation } from "./conversation.ts";
import { Downstream, type DownstreamOptions } from "./downstream.ts";
import { type Dump, redactHeaders } from "./dump.ts";
import { RequestError } from "./errors.ts";
import { type Payload, respond, ResponseTranslator } from "./response.ts";
import { ResponseStore } from "./store.ts";

export interface ProxyOptions {
  downstream: DownstreamOptions;
  /** When set, every route but /health needs this key (`Authorization: Bearer` or `x-api-key`). */
  apiKey?: string;
  /** How many finished responses previous_response_id can refer to; 0 refuses it. */
  storeSize: number;
  dump?: Dump;
  /** One line per finished request; never given request bodies or headers. */
  log?: (line: string) => void;
}

export const DEFAULT_STORE_SIZE = 256;

const TERMINAL = new Set(["response.completed", "response.incomplete", "response.failed"]);
const ROUTES = "POST /v1/responses, GET /v1/models and GET /health";

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export class ResponsesProxy {
  readonly downstream: Downstream;
  readonly store: ResponseStore;

  constructor(readonly options: ProxyOptions) {
    this.downstream = new Downstream({ ...options.downstream, dump: options.dump });
    this.store = new ResponseStore(options.storeSize);
  }

  /** The fetch handler; bind-free so it can be passed to `serveHttp` directly. */
  handle = async (request: Request): Promise<Response> => {
    try {
      return await this.#route(request);
    } catch (err) {
      if (err instanceof RequestError) return err.toResponse();
      throw err;
    }
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
    const text = await request.text();
    if (!text.trim()) {
      throw new RequestError(400, "request body is empty; expected a JSON Responses request");
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

  /** The request's input with the stored history of previous_response_id in front of it. */
  #history(body: ResponsesRequest): ResponseItem[] {
    const items = inputItems(body);
    const previous = body.previous_response_id;
    if (!previous) return items;
    if (!this.store.enabled) {
      throw new RequestError(
        400,
        "previous_response_id is not supported by this proxy (started with --store-size 0); " +
          "send the whole conversation in `input` instead",
        "unsupported_parameter",
        "previous_response_id",
      );
    }
    const stored = this.store.get(previous);
    if (!stored) {
      throw new RequestError(
        400,
        `previous response "${previous}" is not known to this proxy: it keeps the last ` +
          `${this.store.capacity} responses made without \`store: false\`, in memory only`,
        "previous_response_not_found",
        "previous_response_id",
      );
    }
    return [...stored.input, ...stored.output, ...items];
  }

  async #responses(request: Request, path: string): Promise<Response> {
    const started = Date.now();
    const { raw, body } = await this.#parse(request);
    const history = this.#history(body);
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
            if (last.type === "response.completed" && body.store !== false) {
              store.put(translator.id, { input: history, output: translator.output });
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
