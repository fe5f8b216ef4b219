// Grading a chat-completions or Anthropic-messages backend: `tscodex serve` started in this process
// in front of it, on a free loopback port, and graded as the Responses endpoint the pair makes.
import { serveHttp } from "../src/platform/mod.ts";
import {
  chatProfile,
  DEFAULT_CHAT_PROFILE,
  type DownstreamApi,
  ResponsesProxy,
} from "../src/serve/mod.ts";

export interface ServePair {
  /** The proxy's base URL (with `/v1`), to grade. */
  url: string;
  close(): Promise<void>;
}

/** `profile` names one of serve's chat-backend profiles (CHAT_PROFILES); it matters for chat only. */
export async function startServeInFront(
  backendUrl: string,
  api: DownstreamApi,
  apiKey?: string,
  profile = DEFAULT_CHAT_PROFILE,
): Promise<ServePair> {
  const proxy = new ResponsesProxy({
    downstream: {
      url: backendUrl,
      api,
      profile: chatProfile(profile),
      apiKey,
      idleTimeoutMs: 300_000,
    },
  });
  const server = await serveHttp({ hostname: "127.0.0.1", port: 0 }, proxy.handle);
  return { url: `${server.url}/v1`, close: () => server.close() };
}
