// `tscodex feishu-oauth`: the user's refresh token for the Feishu link, so its cards come from the
// user rather than the app's bot. Prints the page to authorize the app on, takes the code it hands
// back (or the whole address the browser was sent to), exchanges it and keeps the refresh token in
// CODEX_HOME/.feishu_refresh_token (0600), where /link reads it and stores each rotation.
import { createInterface } from "node:readline/promises";
import process from "node:process";
import { codexHome, loadCodexDotenv } from "../config/mod.ts";
import { EXIT_FAILED, EXIT_OK, UsageError } from "./exec.ts";

/** Where the browser is sent after the user agrees; it must be one of the app's redirect URLs. */
const DEFAULT_REDIRECT = "https://httpbin.org/get";
const SCOPES = "offline_access im:message im:message.send_as_user";

export interface FeishuOauthOptions {
  code?: string;
  redirectUri?: string;
  authorizeUrl?: string;
}

/** The accounts page of the API base's cloud: Lark's for larksuite.com, else Feishu's. */
function accountsPage(apiBase: string): string {
  const host = new URL(apiBase).hostname;
  const domain = host.endsWith("larksuite.com") ? "larksuite.com" : "feishu.cn";
  return `https://accounts.${domain}/open-apis/authen/v1/authorize`;
}

/** The code from what the user pasted: the code itself, or the address it came back on. */
export function codeFrom(pasted: string): string {
  const text = pasted.trim();
  if (!/^https?:\/\//.test(text)) return text;
  const code = new URL(text).searchParams.get("code");
  if (!code) throw new UsageError(`the address ${text} carries no code= parameter`);
  return code;
}

export async function runFeishuOauth(options: FeishuOauthOptions): Promise<number> {
  const home = codexHome();
  loadCodexDotenv(home, process.env);
  const { FeishuApi, FeishuError, feishuSettings } = await import("../feishu/mod.ts");
  let settings;
  try {
    settings = feishuSettings(home, process.env);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const redirectUri = options.redirectUri ?? DEFAULT_REDIRECT;
  let code = options.code;
  if (!code) {
    const page = new URL(options.authorizeUrl ?? accountsPage(settings.apiBase));
    page.searchParams.set("client_id", settings.appId);
    page.searchParams.set("redirect_uri", redirectUri);
    page.searchParams.set("scope", SCOPES);
    page.searchParams.set("state", crypto.randomUUID());
    process.stdout.write(
      `Open this page, sign in and let the app act for you:\n\n  ${page}\n\n` +
        `Then paste the code (or the whole address the browser went to):\n`,
    );
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    try {
      code = codeFrom(await rl.question("code> "));
    } finally {
      rl.close();
    }
    if (!code) throw new UsageError("no code was given; run tscodex feishu-oauth again");
  }
  const api = new FeishuApi(settings);
  try {
    const token = await api.exchange({
      grant_type: "authorization_code",
      code: codeFrom(code),
      redirect_uri: redirectUri,
    });
    await api.storeRefreshToken(token.refreshToken);
    const days = token.refreshExpiresInSeconds === undefined
      ? ""
      : `; it lasts ${Math.round(token.refreshExpiresInSeconds / 86_400)} days unless used`;
    process.stdout.write(
      `Stored the refresh token in ${settings.refreshTokenFile}${days}. ` +
        `/link now sends cards as you; each use renews it.\n`,
    );
    return EXIT_OK;
  } catch (err) {
    if (!(err instanceof FeishuError)) throw err;
    process.stderr.write(`Error: ${err.message}\n`);
    return EXIT_FAILED;
  }
}
