// A fake Feishu open API over real HTTP for the link's tests: tokens (the app's, and users' with
// refresh tokens that are spent on use), people by email and mobile, and interactive messages
// that are sent and patched. Every call is recorded in order.
import { type RunningServer, serveHttp } from "../platform/mod.ts";

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
  #issued = 0;
  #tokens = new Set<string>();
  #server?: RunningServer;

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
    await this.#server?.close();
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
      stored.card = JSON.parse(String(body.content));
      stored.updates++;
      return json({ code: 0, msg: "success", data: {} });
    }
    return json({ code: 404, msg: `no such API: ${route}` }, 404);
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
