// Model providers: the built-in `openai` entry and the resolution of the selected
// `[model_providers.<id>]` table into one endpoint with its credential, headers and retry limits.
import { join } from "node:path";
import { ConfigError } from "./errors.ts";
import type { ProviderToml } from "./schema.ts";
import { Secret } from "./secret.ts";

export const PROVIDER_DEFAULTS = {
  requestMaxRetries: 4,
  streamMaxRetries: 5,
  streamIdleTimeoutMs: 300_000,
} as const;

/** What the provider's base_url speaks; chat and messages are reached through serve's proxy. */
export type WireApi = "responses" | "chat" | "messages";
const WIRE_APIS: readonly WireApi[] = ["responses", "chat", "messages"];

export interface ResolvedProvider {
  id: string;
  name: string;
  wireApi: WireApi;
  /** `chat_profile`: serve's translation profile for a chat backend (vllm, stepfun, …). */
  chatProfile?: string;
  /** Without a trailing slash; requests go to `${baseUrl}/responses`. */
  baseUrl: string;
  /** The variable the API key came from, for error messages that say what to fix. */
  envKey?: string;
  apiKey?: Secret;
  /** `http_headers` plus the `env_http_headers` whose variables are set. */
  headers: Record<string, string>;
  queryParams: Record<string, string>;
  /** Retries of a request that failed before its stream started (5xx, connection errors). */
  requestMaxRetries: number;
  /** Retries of a whole sampling attempt (broken or idle stream, exhausted request retries). */
  streamMaxRetries: number;
  streamIdleTimeoutMs: number;
}

/** Where the built-in `openai` provider finds its key, first set first: exec's, then the usual. */
export const OPENAI_KEY_VARIABLES = ["CODEX_API_KEY", "OPENAI_API_KEY"] as const;

function builtinOpenai(env: Record<string, string | undefined>, version?: string): ProviderToml {
  const baseUrl = env.OPENAI_BASE_URL?.trim();
  // A server of one's own at OPENAI_BASE_URL may take no key; api.openai.com always needs one.
  const envKey = OPENAI_KEY_VARIABLES.find((name) => env[name]?.trim()) ??
    (baseUrl ? undefined : "OPENAI_API_KEY");
  return {
    name: "OpenAI",
    base_url: baseUrl || "https://api.openai.com/v1",
    env_key: envKey,
    env_key_instructions: "Either of CODEX_API_KEY and OPENAI_API_KEY will do.",
    wire_api: "responses",
    http_headers: version ? { version } : {},
    env_http_headers: {
      "OpenAI-Organization": "OPENAI_ORGANIZATION",
      "OpenAI-Project": "OPENAI_PROJECT",
    },
  };
}

export interface ResolveContext {
  env: Record<string, string | undefined>;
  home: string;
  file: string;
  clientVersion?: string;
  /** `use_chat_completion` from the top level or the profile, which wins over the provider's. */
  useChatCompletion?: boolean;
}

/** The endpoint for provider `id`; `table` is its `[model_providers.<id>]` entry, if any. */
export function resolveProvider(
  id: string,
  table: ProviderToml | undefined,
  context: ResolveContext,
): ResolvedProvider {
  const { env } = context;
  const where = `model_providers.${id}`;
  // A user's [model_providers.openai] adjusts the built-in entry rather than hiding it.
  const entry = id === "openai"
    ? { ...builtinOpenai(env, context.clientVersion), ...table }
    : table;
  if (!entry) {
    throw new ConfigError(
      `${context.file}: model_provider = "${id}" but there is no [${where}] table ` +
        `(add one with base_url and env_key, or use the built-in "openai")`,
    );
  }
  const wireApi = entry.wire_api ?? "responses";
  if (!(WIRE_APIS as readonly string[]).includes(wireApi)) {
    throw new ConfigError(
      `${context.file}: ${where}.wire_api = ${JSON.stringify(wireApi)}: expected "responses", ` +
        `"chat" (a chat-completions backend) or "messages" (an Anthropic messages backend)`,
    );
  }
  const useChat = context.useChatCompletion ?? entry.use_chat_completion;
  if (useChat && wireApi === "messages") {
    throw new ConfigError(
      `${context.file}: use_chat_completion = true contradicts ${where}.wire_api = "messages"; ` +
        `keep one of them`,
    );
  }
  // Upstream falls back to api.openai.com, which would send this provider's key to OpenAI.
  if (!entry.base_url) {
    throw new ConfigError(`${context.file}: ${where}.base_url is missing`);
  }
  let apiKey: Secret | undefined;
  if (entry.env_key) {
    const value = env[entry.env_key]?.trim();
    if (!value) {
      const help = entry.env_key_instructions ? ` ${entry.env_key_instructions}` : "";
      throw new ConfigError(
        `the environment variable ${entry.env_key} is not set (or empty); provider "${id}" ` +
          `reads its API key from it (${where}.env_key). Export it or add it to ` +
          `${join(context.home, ".env")}.${help}`,
      );
    }
    apiKey = new Secret(value);
  }
  const headers: Record<string, string> = { ...entry.http_headers };
  for (const [header, variable] of Object.entries(entry.env_http_headers ?? {})) {
    const value = env[variable]?.trim();
    if (value) headers[header] = value;
  }
  return {
    id,
    name: entry.name ?? id,
    wireApi: useChat ? "chat" : wireApi as WireApi,
    ...(entry.chat_profile ? { chatProfile: entry.chat_profile } : {}),
    baseUrl: entry.base_url.replace(/\/+$/, ""),
    envKey: entry.env_key,
    apiKey,
    headers,
    queryParams: { ...entry.query_params },
    requestMaxRetries: entry.request_max_retries ?? PROVIDER_DEFAULTS.requestMaxRetries,
    streamMaxRetries: entry.stream_max_retries ?? PROVIDER_DEFAULTS.streamMaxRetries,
    streamIdleTimeoutMs: entry.stream_idle_timeout_ms ?? PROVIDER_DEFAULTS.streamIdleTimeoutMs,
  };
}
