// A provider whose base_url speaks Chat Completions or Anthropic Messages is reached through
// serve's proxy, started in this process on a free loopback port: the agent keeps speaking the
// Responses API, and one command runs against vLLM, llama.cpp or an Anthropic-style backend.
import { randomUUID } from "node:crypto";
import { type Config, ConfigError, Secret } from "../../config/mod.ts";
import { type RunningServer, serveHttp } from "../../platform/mod.ts";
import { UsageError } from "../exec.ts";

/** The command-line switches that say what the backend speaks. */
export interface BackendFlags {
  useChatCompletion?: boolean;
  useMessages?: boolean;
  vllmEndpoint?: string;
}

/** What the switches ask of the session: a wire for the configured provider, or a vLLM server. */
export interface BackendSwitches {
  api?: "chat" | "messages";
  /** `--vllm-endpoint`, normalised: the base URL of a vLLM server's OpenAI API. */
  vllmEndpoint?: string;
}

/** `--vllm-endpoint` as a base URL: a bare `http://host:8000` means its `/v1`. */
export function vllmBaseUrl(value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    // reported below
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw new UsageError(
      `--vllm-endpoint ${value}: expected the server's http(s) URL, e.g. http://127.0.0.1:8000`,
    );
  }
  if (url.pathname === "/" || url.pathname === "") url.pathname = "/v1";
  return url.href.replace(/\/+$/, "");
}

/** The switches the flags ask for; contradicting ones are a usage error. */
export function backendSwitches(flags: BackendFlags): BackendSwitches | undefined {
  if (flags.useMessages && (flags.useChatCompletion || flags.vllmEndpoint !== undefined)) {
    const other = flags.useChatCompletion ? "--use-chat-completion" : "--vllm-endpoint";
    throw new UsageError(
      `--use-messages and ${other} contradict each other: a backend speaks either Anthropic ` +
        `messages or chat completions; keep one`,
    );
  }
  if (flags.vllmEndpoint !== undefined) {
    return { api: "chat", vllmEndpoint: vllmBaseUrl(flags.vllmEndpoint) };
  }
  if (flags.useMessages) return { api: "messages" };
  if (flags.useChatCompletion) return { api: "chat" };
  return undefined;
}

/** `--vllm-endpoint` as config.toml layers: provider "vllm" at that URL, a chat backend. */
export function vllmOverrides(switches: BackendSwitches | undefined): string[] {
  const url = switches?.vllmEndpoint;
  if (url === undefined) return [];
  return [
    `model_provider="vllm"`,
    `model_providers.vllm.base_url=${JSON.stringify(url)}`,
    `model_providers.vllm.wire_api="chat"`,
    `model_providers.vllm.chat_profile="vllm"`,
  ];
}

export interface BridgedConfig {
  /** The configuration the agent uses: the provider is the proxy when one was started. */
  config: Config;
  close(): Promise<void>;
}

/** The provider's wire after the switches: `--use-messages` and the others win over config.toml. */
function wireOf(config: Config, switches: BackendSwitches | undefined) {
  return switches?.api ?? config.provider.wireApi;
}

/**
 * `config` itself when its provider speaks the Responses API; otherwise a proxy in front of the
 * backend, on 127.0.0.1 with a key of its own (so no other local program can use the backend's
 * key through it), and `config` pointed at it. A session that configures no model takes the first
 * one the backend lists.
 */
export async function bridgeBackend(
  config: Config,
  switches: BackendSwitches | undefined,
  explicitModel?: string,
): Promise<BridgedConfig> {
  const api = wireOf(config, switches);
  if (api === "responses") return { config, close: () => Promise.resolve() };
  const provider = config.provider;
  // serve and its translation are loaded only for a bridged backend, not on every start.
  const { chatProfile, CHAT_PROFILES, DEFAULT_CHAT_PROFILE, ResponsesProxy } = await import(
    "../../serve/mod.ts"
  );
  const profileName = provider.chatProfile ??
    (provider.id in CHAT_PROFILES ? provider.id : DEFAULT_CHAT_PROFILE);
  let profile;
  try {
    profile = chatProfile(profileName);
  } catch (err) {
    throw new ConfigError(
      `${config.file}: model_providers.${provider.id}.chat_profile: ${(err as Error).message}`,
    );
  }
  const url = new URL(provider.baseUrl);
  for (const [name, value] of Object.entries(provider.queryParams)) {
    url.searchParams.set(name, value);
  }
  const clientKey = randomUUID();
  const proxy = new ResponsesProxy({
    downstream: {
      url: url.href,
      api,
      profile,
      apiKey: provider.apiKey?.reveal(),
      extraHeaders: provider.headers,
      idleTimeoutMs: provider.streamIdleTimeoutMs,
    },
    apiKey: clientKey,
  });
  const server: RunningServer = await serveHttp({ hostname: "127.0.0.1", port: 0 }, proxy.handle);
  const baseUrl = `${server.url}/v1`;
  const bridged: Config = {
    ...config,
    provider: {
      ...provider,
      wireApi: "responses",
      baseUrl,
      apiKey: new Secret(clientKey),
      // Headers and query parameters are meant for the backend: the proxy sends them there.
      headers: {},
      queryParams: {},
    },
  };
  if (explicitModel === undefined && config.table.model === undefined) {
    const listed = await firstModel(baseUrl, clientKey);
    if (listed) bridged.model = listed;
  }
  return { config: bridged, close: () => server.close() };
}

/** The first model GET /models lists, or undefined when it lists none or fails. */
async function firstModel(baseUrl: string, key: string): Promise<string | undefined> {
  try {
    const response = await fetch(`${baseUrl}/models`, {
      headers: { authorization: `Bearer ${key}` },
    });
    if (!response.ok) {
      await response.body?.cancel();
      return undefined;
    }
    const body = await response.json() as { data?: { id?: unknown }[] };
    const id = body.data?.[0]?.id;
    return typeof id === "string" && id ? id : undefined;
  } catch {
    return undefined;
  }
}
