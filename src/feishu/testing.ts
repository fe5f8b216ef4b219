// A fake Feishu open API over real HTTP for the link's tests: tokens (the app's, and users' with
// refresh tokens that are spent on use), people by email and mobile, interactive messages that are
// sent and patched, and the long connection card actions arrive on (a real WebSocket speaking the
// protobuf frames). Every call is recorded in order.
import { Buffer } from "node:buffer";
import {
  isWebSocketUpgrade,
  type RunningServer,
  serveHttp,
  type ServerSocket,
  upgradeWebSocket,
} from "../platform/mod.ts";
import { until, within } from "../testing/mod.ts";
import { CARD_ACTION_EVENT } from "./listener.ts";
import {
  CONTROL,
  DATA,
  decodeFrame,
  encodeFrame,
  type Frame,
  headerOf,
  jsonPayload,
  payloadJson,
} from "./frames.ts";
import type { Toast } from "./link.ts";

export interface RecordedCall {
  method: string;
  /** The path below /open-apis, with its query. */
  path: string;
  authorization?: string;
  body?: Record<string, unknown>;
}

export interface FakePerson {
  openId: string;
  name: string;
  email?: string;
  mobile?: string;
}

export interface FakeFeishuOptions {
  appId?: string;
  appSecret?: string;
  people?: FakePerson[];
  /** The refresh token Feishu would accept first (as `tscodex feishu-oauth` left it). */
  refreshToken?: string;
  /** The authorization code the OAuth page would hand out. */
  authorizationCode?: string;
  /** Card markdown (outside a ```text block) that Feishu cannot render and refuses. */
  refuseMarkdown?: RegExp;
}

type Json = Record<string, unknown>;

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8" },
  });

export class FakeFeishu {
  readonly calls: RecordedCall[] = [];
  /** Messages by id: the card content as last sent or patched, and to whom. */
  readonly messages = new Map<string, { receiveId: string; card: Json; updates: number }>();
  readonly appId: string;
  readonly appSecret: string;
  /** The refresh token that works now; each use spends it and issues the next. */
  validRefreshToken?: string;
  /** Pings received on the long connection. */
  pings = 0;
  #issued = 0;
  #tokens = new Set<string>();
  #server?: RunningServer;
  #sockets = new Set<ServerSocket>();
  #replies = new Map<string, (frame: Frame) => void>();
  #events = 0;

  constructor(readonly options: FakeFeishuOptions = {}) {
    this.appId = options.appId ?? "cli_test_app";
    this.appSecret = options.appSecret ?? "test-app-secret";
    this.validRefreshToken = options.refreshToken;
  }

  async start(): Promise<this> {
    this.#server = await serveHttp({ port: 0, hostname: "127.0.0.1" }, (r) => this.#handle(r));
    return this;
  }

  get url(): string {
    if (!this.#server) throw new Error("the fake Feishu server is not started");
    return this.#server.url;
  }

  /** What FEISHU_API_BASE is set to. */
  get apiBase(): string {
    return `${this.url}/open-apis`;
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.close();
    await this.#server?.close();
  }

  /** Closes every listener's connection from this side, as a restart of Feishu's gateway would. */
  dropListeners(): void {
    for (const socket of this.#sockets) socket.close(1001, "going away");
  }

  /** How many card listeners are connected. */
  get listeners(): number {
    return this.#sockets.size;
  }

  /**
   * Someone types `prompt` into the card of message `messageId` and presses Enter: the event goes
   * to the connected listener (in two fragments, as long payloads do) and the toast it answers
   * with comes back.
   */
  async pressCard(messageId: string, prompt: string, operatorId = "ou_alice"): Promise<Toast> {
    await until(() => this.#sockets.size > 0, "a card listener to connect");
    const id = `evt_${++this.#events}`;
    const event = {
      operator: { open_id: operatorId },
      token: `c-${id}`,
      action: { value: { action: "send" }, tag: "input", name: "prompt", input_value: prompt },
      context: { open_message_id: messageId, open_chat_id: "oc_chat" },
    };
    this.calls.push({ method: "WS", path: CARD_ACTION_EVENT, body: event });
    const bytes = jsonPayload({
      schema: "2.0",
      header: { event_id: id, event_type: CARD_ACTION_EVENT, app_id: this.appId },
      event,
    });
    const half = Math.floor(bytes.length / 2);
    const reply = new Promise<Frame>((resolve) => this.#replies.set(id, resolve));
    for (const [seq, part] of [bytes.slice(0, half), bytes.slice(half)].entries()) {
      const frame: Frame = {
        SeqID: seq,
        LogID: this.#events,
        service: 42,
        method: DATA,
        headers: [
          { key: "type", value: "event" },
          { key: "message_id", value: id },
          { key: "sum", value: "2" },
          { key: "seq", value: String(seq) },
          { key: "trace_id", value: `trace-${id}` },
        ],
        payload: part,
      };
      for (const socket of this.#sockets) socket.send(encodeFrame(frame));
    }
    const answer = payloadJson((await within(reply, `the answer to ${id}`)).payload!) as {
      code: number;
      data?: string;
    };
    if (answer.code !== 200 || !answer.data) {
      throw new Error(`the listener answered ${answer.code}`);
    }
    return JSON.parse(Buffer.from(answer.data, "base64").toString()).toast;
  }

  #socket(request: Request): Response {
    let mine: ServerSocket | undefined;
    return upgradeWebSocket(request, {
      open: (socket) => {
        mine = socket;
        this.#sockets.add(socket);
      },
      message: (data) => {
        if (typeof data === "string") return;
        const frame = decodeFrame(data);
        if (frame.method === CONTROL && headerOf(frame, "type") === "ping") {
          this.pings++;
          mine?.send(encodeFrame({
            ...frame,
            headers: [{ key: "type", value: "pong" }],
            payload: jsonPayload({ PingInterval: 120, ReconnectInterval: 1, ReconnectNonce: 0 }),
          }));
          return;
        }
        const id = headerOf(frame, "message_id");
        if (id) this.#replies.get(id)?.(frame);
      },
      close: () => {
        if (mine) this.#sockets.delete(mine);
      },
    });
  }

  /** The recorded calls to `method` on paths starting with `prefix`. */
  callsTo(method: string, prefix: string): RecordedCall[] {
    return this.calls.filter((call) => call.method === method && call.path.startsWith(prefix));
  }

  /** The card of message `id` as it is now (the content's JSON, parsed). */
  card(id: string): Json | undefined {
    return this.messages.get(id)?.card;
  }

  #issue(prefix: string): string {
    const token = `${prefix}-${++this.#issued}`;
    this.#tokens.add(token);
    return token;
  }

  async #handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/ws" && isWebSocketUpgrade(request)) return this.#socket(request);
    const path = url.pathname.replace(/^\/open-apis/, "") + url.search;
    const text = request.method === "GET" ? "" : await request.text();
    const body = text ? JSON.parse(text) as Json : undefined;
    this.calls.push({
      method: request.method,
      path,
      authorization: request.headers.get("authorization") ?? undefined,
      body,
    });
    return this.#route(request, url, body ?? {});
  }

  #route(request: Request, url: URL, body: Json): Response {
    const route = `${request.method} ${url.pathname.replace(/^\/open-apis/, "")}`;
    if (route === "POST /auth/v3/tenant_access_token/internal") {
      if (body.app_id !== this.appId || body.app_secret !== this.appSecret) {
        return json({ code: 10014, msg: "app secret invalid" }, 400);
      }
      return json({ code: 0, msg: "ok", tenant_access_token: this.#issue("t"), expire: 7200 });
    }
    if (route === "POST /authen/v2/oauth/token") return this.#oauth(body);
    if (route === "POST /callback/ws/endpoint") {
      if (body.AppID !== this.appId || body.AppSecret !== this.appSecret) {
        return json({ code: 1000040343, msg: "app credentials are wrong" });
      }
      return json({
        code: 0,
        msg: "ok",
        data: {
          URL: `${this.url.replace(/^http/, "ws")}/ws?device_id=fake&service_id=42`,
          ClientConfig: {
            PingInterval: 120,
            ReconnectCount: -1,
            ReconnectInterval: 1,
            ReconnectNonce: 0,
          },
        },
      });
    }
    // Everything else needs a token this server issued.
    const token = request.headers.get("authorization")?.replace(/^Bearer /, "") ?? "";
    if (!this.#tokens.has(token)) {
      return json({ code: 99991663, msg: "Invalid access token for authorization" }, 401);
    }
    const people = this.options.people ?? [];
    if (route === "POST /contact/v3/users/batch_get_id") {
      const emails = (body.emails ?? []) as string[];
      const mobiles = (body.mobiles ?? []) as string[];
      const user_list = [
        ...emails.map((email) => ({
          email,
          user_id: people.find((p) => p.email === email)?.openId,
        })),
        ...mobiles.map((mobile) => ({
          mobile,
          user_id: people.find((p) => p.mobile === mobile)?.openId,
        })),
      ];
      return json({ code: 0, msg: "success", data: { user_list } });
    }
    const user = url.pathname.match(/^\/open-apis\/contact\/v3\/users\/([^/]+)$/);
    if (request.method === "GET" && user) {
      const person = people.find((p) => p.openId === decodeURIComponent(user[1]));
      if (!person) return json({ code: 41050, msg: "no user authority error" }, 400);
      return json({ code: 0, msg: "success", data: { user: { name: person.name } } });
    }
    if (route === "POST /im/v1/messages") {
      if (body.msg_type !== "interactive") return json({ code: 230001, msg: "bad msg_type" }, 400);
      const id = `om_${this.messages.size + 1}`;
      this.messages.set(id, {
        receiveId: String(body.receive_id),
        card: JSON.parse(String(body.content)),
        updates: 0,
      });
      return json({ code: 0, msg: "success", data: { message_id: id } });
    }
    const message = url.pathname.match(/^\/open-apis\/im\/v1\/messages\/([^/]+)$/);
    if (request.method === "PATCH" && message) {
      const stored = this.messages.get(decodeURIComponent(message[1]));
      if (!stored) return json({ code: 230011, msg: "message not found" }, 400);
      const card = JSON.parse(String(body.content));
      if (this.#unrenderable(card)) {
        return json(
          { code: 230099, msg: "Failed to create card content, ext=ErrCode: 200861" },
          400,
        );
      }
      stored.card = card;
      stored.updates++;
      return json({ code: 0, msg: "success", data: {} });
    }
    return json({ code: 404, msg: `no such API: ${route}` }, 404);
  }

  #unrenderable(card: Json): boolean {
    const refuse = this.options.refuseMarkdown;
    const elements = ((card.body as Json | undefined)?.elements ?? []) as Json[];
    return !!refuse && elements.some((element) =>
      element.tag === "markdown" &&
      refuse.test(String(element.content).replace(/```text\n[\s\S]*?\n```/g, ""))
    );
  }

  #oauth(body: Json): Response {
    if (body.client_id !== this.appId || body.client_secret !== this.appSecret) {
      return json({ code: 20002, error: "invalid_client", error_description: "bad client" }, 400);
    }
    const grantOk = body.grant_type === "refresh_token"
      ? body.refresh_token !== undefined && body.refresh_token === this.validRefreshToken
      : body.grant_type === "authorization_code" && body.code !== undefined &&
        body.code === this.options.authorizationCode;
    if (!grantOk) {
      return json({
        code: 20037,
        error: "invalid_grant",
        error_description: "The refresh token or code is invalid or has been used",
      }, 400);
    }
    this.validRefreshToken = `r-${this.#issued + 1}-next`;
    return json({
      code: 0,
      access_token: this.#issue("u"),
      expires_in: 7200,
      refresh_token: this.validRefreshToken,
      refresh_token_expires_in: 604800,
      token_type: "Bearer",
    });
  }
}
