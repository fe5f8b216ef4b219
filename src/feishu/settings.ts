// What the Feishu / Lark link needs from the environment (CODEX_HOME/.env is loaded into it when a
// session starts): the app's id and secret, the API base, the user's refresh token and the ways a
// person may be named. The FEISHU_ names have LARK_ twins, as the seed reads them.
import { join } from "node:path";
import { FeishuError } from "./errors.ts";

export const DEFAULT_API_BASE = "https://open.feishu.cn/open-apis";

export interface FeishuSettings {
  appId: string;
  appSecret: string;
  /** The open-apis base, without a trailing slash. */
  apiBase: string;
  /** The site the long connection's endpoint is asked on (the API base's, unless FEISHU_DOMAIN). */
  site: string;
  /** Where the user's rotating refresh token is kept (0600). */
  refreshTokenFile: string;
  /** Appended to a bare name to make an email: `alice` → `alice@example.com`. */
  defaultEmailDomain?: string;
  /** Names a person may be linked by, mapped to open ids or chat ids. */
  aliases: Record<string, string>;
  /**
   * Who besides the linked person may send prompts from a card (open ids; `*` for anyone who can
   * see it, as in a group chat), from TSCODEX_FEISHU_ALLOWED_USERS.
   */
  allowedUsers: string[];
}

type Env = Record<string, string | undefined>;

function first(env: Env, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) return value;
  }
  return undefined;
}

function aliasMap(env: Env): Record<string, string> {
  const name = env.TSCODEX_FEISHU_USER_IDS ? "TSCODEX_FEISHU_USER_IDS" : "PYCODEX_FEISHU_USER_IDS";
  const text = env[name]?.trim();
  if (!text) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (
    !parsed || typeof parsed !== "object" || Array.isArray(parsed) ||
    Object.values(parsed).some((value) => typeof value !== "string")
  ) {
    throw new FeishuError(
      `${name} must be a JSON object of names to open ids or chat ids, ` +
        `like {"alice": "ou_…"}; fix it in the environment or CODEX_HOME/.env`,
    );
  }
  return parsed as Record<string, string>;
}

/** The settings from `env`; an app without id or secret is an error saying where to set them. */
export function feishuSettings(home: string, env: Env): FeishuSettings {
  const appId = first(env, "FEISHU_APP_ID", "LARK_APP_ID");
  const appSecret = first(env, "FEISHU_APP_SECRET", "LARK_APP_SECRET");
  if (!appId || !appSecret) {
    throw new FeishuError(
      "the Feishu link needs the app's credentials: set FEISHU_APP_ID and FEISHU_APP_SECRET " +
        `(or LARK_APP_ID and LARK_APP_SECRET) in the environment or in ${join(home, ".env")}`,
    );
  }
  // FEISHU_DOMAIN (the seed's name for the site, https://open.larksuite.com for Lark) gives both
  // unless FEISHU_API_BASE says where the API is.
  const domain = first(env, "FEISHU_DOMAIN", "LARK_DOMAIN")?.replace(/\/+$/, "");
  const base = (first(env, "FEISHU_API_BASE", "LARK_API_BASE") ??
    (domain ? `${domain}/open-apis` : DEFAULT_API_BASE)).replace(/\/+$/, "");
  for (const [name, url] of [["FEISHU_DOMAIN", domain], ["FEISHU_API_BASE", base]]) {
    if (url !== undefined && !/^https?:\/\/[^/]/.test(url)) {
      throw new FeishuError(`${name} must be an http(s) URL, not ${JSON.stringify(url)}`);
    }
  }
  const aliases = aliasMap(env);
  return {
    appId,
    appSecret,
    apiBase: base,
    site: domain ?? base.replace(/\/open-apis$/, ""),
    refreshTokenFile: join(home, ".feishu_refresh_token"),
    defaultEmailDomain: first(
      env,
      "TSCODEX_FEISHU_DEFAULT_EMAIL_DOMAIN",
      "PYCODEX_FEISHU_DEFAULT_EMAIL_DOMAIN",
      "FEISHU_DEFAULT_EMAIL_DOMAIN",
      "LARK_DEFAULT_EMAIL_DOMAIN",
    )?.replace(/^@/, ""),
    aliases,
    allowedUsers: allowedUsers(env, aliases),
  };
}

/** TSCODEX_FEISHU_ALLOWED_USERS: open ids or names from `aliases`, comma-separated, or `*`. */
function allowedUsers(env: Env, aliases: Record<string, string>): string[] {
  return (first(env, "TSCODEX_FEISHU_ALLOWED_USERS", "FEISHU_ALLOWED_USERS") ?? "")
    .split(",").map((word) => word.trim()).filter(Boolean)
    .map((word) => aliases[word] ?? word);
}
