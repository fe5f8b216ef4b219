// The Feishu / Lark open API as the link uses it: the app's tenant token, the user's token from a
// refresh token that rotates on every use (the new one is kept 0600 before the old one is lost),
// finding people, sending and updating interactive cards.
import { chmod, readFile, rename, writeFile } from "node:fs/promises";
import process from "node:process";
import { FeishuError } from "./errors.ts";
import type { FeishuSettings } from "./settings.ts";

/** How long one API call may take. */
const REQUEST_TIMEOUT_MS = 15_000;
/** A token this close to its end is renewed first. */
const EXPIRY_MARGIN_MS = 60_000;

export type ReceiveIdType = "open_id" | "chat_id";

/** Whom a card goes to: a person (open id) or a group chat (chat id). */
export interface Target {
  type: ReceiveIdType;
  id: string;
  /** What the user typed, for messages. */
  label: string;
}

interface Token {
  value: string;
  expiresAt: number;
}

type Json = Record<string, unknown>;

/** What a user's OAuth token exchange answers. */
export interface UserToken {
  accessToken: string;
  refreshToken: string;
  expiresInSeconds: number;
  refreshExpiresInSeconds?: number;
}

export class FeishuApi {
  #tenant?: Token;
  #user?: Token;

  constructor(readonly settings: FeishuSettings, readonly env = process.env) {}

  async #call(
    method: string,
    path: string,
    what: string,
    options: { body?: Json; token?: string } = {},
  ): Promise<Json> {
    const url = `${this.settings.apiBase}${path}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          "content-type": "application/json; charset=utf-8",
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        },
        body: options.body ? JSON.stringify(options.body) : undefined,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (err) {
      throw new FeishuError(
        `cannot reach Feishu at ${this.settings.apiBase} to ${what}: ${(err as Error).message}; ` +
          "check the network, or FEISHU_API_BASE",
      );
    }
    const text = await response.text();
    let body: Json;
    try {
      body = JSON.parse(text);
    } catch {
      throw new FeishuError(
        `Feishu answered ${what} with HTTP ${response.status} and no JSON: ${text.slice(0, 200)}`,
      );
    }
    const code = typeof body.code === "number" ? body.code : response.ok ? 0 : -1;
    if (code !== 0 || !response.ok) {
      const reason = body.msg ?? body.error_description ?? body.error ?? `HTTP ${response.status}`;
      throw new FeishuError(`Feishu refused to ${what}: ${reason} (code ${code})`, code);
    }
    return body;
  }

  /** The app's own token: lookups, and cards sent by the app's bot. */
  async tenantToken(): Promise<string> {
    if (this.#tenant && this.#tenant.expiresAt - EXPIRY_MARGIN_MS > Date.now()) {
      return this.#tenant.value;
    }
    const body = await this.#call(
      "POST",
      "/auth/v3/tenant_access_token/internal",
      "issue the app's token",
      {
        body: { app_id: this.settings.appId, app_secret: this.settings.appSecret },
      },
    );
    const value = String(body.tenant_access_token ?? "");
    if (!value) throw new FeishuError("Feishu issued an empty tenant token; check FEISHU_APP_ID");
    this.#tenant = { value, expiresAt: Date.now() + Number(body.expire ?? 0) * 1000 };
    return value;
  }

  /** The stored refresh token: CODEX_HOME/.feishu_refresh_token, else FEISHU_REFRESH_TOKEN. */
  async refreshToken(): Promise<string | undefined> {
    try {
      const stored = (await readFile(this.settings.refreshTokenFile, "utf8")).trim();
      if (stored) return stored;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") {
        throw new FeishuError(
          `cannot read ${this.settings.refreshTokenFile}: ${(err as Error).message}; fix its ` +
            "permissions or remove it",
        );
      }
    }
    return this.env.FEISHU_REFRESH_TOKEN?.trim() || this.env.LARK_REFRESH_TOKEN?.trim() ||
      undefined;
  }

  /** Keeps the newest refresh token where the next start reads it, readable by the owner only. */
  async storeRefreshToken(token: string): Promise<void> {
    const file = this.settings.refreshTokenFile;
    const partial = `${file}.${process.pid}.tmp`;
    try {
      await writeFile(partial, token + "\n", { mode: 0o600 });
      await chmod(partial, 0o600);
      await rename(partial, file);
    } catch (err) {
      throw new FeishuError(
        `cannot store the new Feishu refresh token in ${file}: ${(err as Error).message}; the ` +
          "old one is spent, so run `tscodex feishu-oauth` again once the folder is writable",
      );
    }
    this.env.FEISHU_REFRESH_TOKEN = token;
  }

  /** Exchanges an OAuth grant (an authorization code, or a refresh token) for a user token. */
  async exchange(
    grant: { grant_type: "authorization_code"; code: string; redirect_uri: string } | {
      grant_type: "refresh_token";
      refresh_token: string;
    },
  ): Promise<UserToken> {
    const body = await this.#call("POST", "/authen/v2/oauth/token", "issue a user token", {
      body: { ...grant, client_id: this.settings.appId, client_secret: this.settings.appSecret },
    });
    const accessToken = String(body.access_token ?? "");
    const refreshToken = String(body.refresh_token ?? "");
    if (!accessToken || !refreshToken) {
      throw new FeishuError(
        "Feishu issued a user token without a refresh token; the app needs the offline_access " +
          "scope (run `tscodex feishu-oauth` after adding it)",
      );
    }
    return {
      accessToken,
      refreshToken,
      expiresInSeconds: Number(body.expires_in ?? 0),
      refreshExpiresInSeconds: body.refresh_token_expires_in === undefined
        ? undefined
        : Number(body.refresh_token_expires_in),
    };
  }

  /**
   * The token cards are sent with: the user's when a refresh token is stored (the card comes from
   * them), else the app's bot's.
   */
  async messageToken(): Promise<string> {
    if (this.#user && this.#user.expiresAt - EXPIRY_MARGIN_MS > Date.now()) return this.#user.value;
    const refresh = await this.refreshToken();
    if (!refresh) return this.tenantToken();
    let token: UserToken;
    try {
      token = await this.exchange({ grant_type: "refresh_token", refresh_token: refresh });
    } catch (err) {
      throw new FeishuError(
        `${(err as Error).message}. The stored refresh token no longer works: run ` +
          "`tscodex feishu-oauth` for a new one, or remove " +
          `${this.settings.refreshTokenFile} and FEISHU_REFRESH_TOKEN to send as the app's bot`,
      );
    }
    await this.storeRefreshToken(token.refreshToken);
    this.#user = {
      value: token.accessToken,
      expiresAt: Date.now() + token.expiresInSeconds * 1000,
    };
    return token.accessToken;
  }

  /** The open id of the person with this email or mobile number. */
  async openIdOf(kind: "emails" | "mobiles", value: string): Promise<string | undefined> {
    const body = await this.#call(
      "POST",
      "/contact/v3/users/batch_get_id?user_id_type=open_id",
      `look up ${value}`,
      { body: { [kind]: [value] }, token: await this.tenantToken() },
    );
    const users = ((body.data as Json | undefined)?.user_list ?? []) as Json[];
    const id = users.find((user) => typeof user.user_id === "string" && user.user_id)?.user_id;
    return id as string | undefined;
  }

  /** A person's display name, or undefined when Feishu will not say. */
  async nameOf(openId: string): Promise<string | undefined> {
    try {
      const body = await this.#call(
        "GET",
        `/contact/v3/users/${encodeURIComponent(openId)}?user_id_type=open_id`,
        `look up ${openId}`,
        { token: await this.tenantToken() },
      );
      const user = (body.data as Json | undefined)?.user as Json | undefined;
      return typeof user?.name === "string" && user.name ? user.name : undefined;
    } catch {
      return undefined;
    }
  }

  /** Sends `card` (a card JSON object) to `target`; resolves with the message's id. */
  async sendCard(target: Target, card: Json): Promise<string> {
    const body = await this.#call(
      "POST",
      `/im/v1/messages?receive_id_type=${target.type}`,
      `send the card to ${target.label}`,
      {
        body: { receive_id: target.id, msg_type: "interactive", content: JSON.stringify(card) },
        token: await this.messageToken(),
      },
    );
    const id = (body.data as Json | undefined)?.message_id;
    if (typeof id !== "string" || !id) {
      throw new FeishuError("Feishu accepted the card but named no message id");
    }
    return id;
  }

  /** Replaces the card of message `messageId`. */
  async updateCard(messageId: string, card: Json): Promise<void> {
    await this.#call(
      "PATCH",
      `/im/v1/messages/${encodeURIComponent(messageId)}`,
      "update the card",
      {
        body: { content: JSON.stringify(card) },
        token: await this.messageToken(),
      },
    );
  }
}

/**
 * Whom `text` names: an alias, an open id (`ou_…`), a chat id (`oc_…`), a mobile number, an email,
 * or a bare name completed with the default email domain.
 */
export async function resolveTarget(api: FeishuApi, text: string): Promise<Target> {
  const label = text.trim();
  const aliased = api.settings.aliases[label] ?? label;
  if (/^ou_\w+$/.test(aliased)) return { type: "open_id", id: aliased, label };
  if (/^oc_\w+$/.test(aliased)) return { type: "chat_id", id: aliased, label };
  let kind: "emails" | "mobiles";
  let value = aliased;
  if (/^\+?[\d -]{5,}$/.test(aliased)) {
    kind = "mobiles";
    value = aliased.replace(/[ -]/g, "");
  } else if (aliased.includes("@")) {
    kind = "emails";
  } else if (api.settings.defaultEmailDomain && /^[\w.+-]+$/.test(aliased)) {
    kind = "emails";
    value = `${aliased}@${api.settings.defaultEmailDomain}`;
  } else {
    throw new FeishuError(
      `cannot tell whom ${JSON.stringify(label)} names: give an email, a mobile number, an open ` +
        "id (ou_…), a chat id (oc_…), a name from TSCODEX_FEISHU_USER_IDS, or set " +
        "FEISHU_DEFAULT_EMAIL_DOMAIN to link by bare names",
    );
  }
  const id = await api.openIdOf(kind, value);
  if (!id) {
    throw new FeishuError(
      `Feishu knows nobody with the ${kind === "emails" ? "email" : "mobile number"} ${value} ` +
        "(or the app may not see them: check its contact scope)",
    );
  }
  return { type: "open_id", id, label };
}
