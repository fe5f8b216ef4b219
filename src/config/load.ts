// config.toml: parsed with smol-toml, validated with zod, resolved to one provider endpoint.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import process from "node:process";
import { parse, TomlError } from "smol-toml";
import { z } from "zod";

const Provider = z.looseObject({
  name: z.string().optional(),
  base_url: z.string().url(),
  env_key: z.string().optional(),
  wire_api: z.string().default("responses"),
  query_params: z.record(z.string(), z.string()).optional(),
  http_headers: z.record(z.string(), z.string()).optional(),
  env_http_headers: z.record(z.string(), z.string()).optional(),
  stream_max_retries: z.number().int().min(0).default(5),
  stream_idle_timeout_ms: z.number().int().min(1).default(300_000),
  request_max_retries: z.number().int().min(0).default(4),
});

export const ConfigFile = z.looseObject({
  model: z.string().optional(),
  model_provider: z.string().optional(),
  model_providers: z.record(z.string(), Provider).default({}),
  model_reasoning_effort: z.string().optional(),
  model_reasoning_summary: z.string().optional(),
  base_instructions: z.string().optional(),
});
export type ConfigFile = z.infer<typeof ConfigFile>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

export interface ResolvedProvider {
  id: string;
  baseUrl: string;
  apiKey?: string;
  headers: Record<string, string>;
  queryParams?: Record<string, string>;
  streamMaxRetries: number;
  streamIdleTimeoutMs: number;
}

export interface Config {
  file: string;
  model: string;
  provider: ResolvedProvider;
  reasoning?: { effort?: string; summary?: string };
  baseInstructions?: string;
}

const OPENAI_PROVIDER = {
  name: "OpenAI",
  base_url: "https://api.openai.com/v1",
  env_key: "OPENAI_API_KEY",
  wire_api: "responses",
  stream_max_retries: 5,
  stream_idle_timeout_ms: 300_000,
  request_max_retries: 4,
};

/** Loads `CODEX_HOME/config.toml`; `null` when there is none (the offline demo runs then). */
export async function loadConfig(
  home: string,
  env: Record<string, string | undefined> = process.env,
): Promise<Config | null> {
  const file = join(home, "config.toml");
  if (!existsSync(file)) return null;
  let raw: unknown;
  try {
    raw = parse(await readFile(file, "utf8"));
  } catch (err) {
    if (err instanceof TomlError) {
      throw new ConfigError(
        `${file}:${err.line}:${err.column}: invalid TOML: ${err.message.split("\n")[0]}`,
      );
    }
    throw err;
  }
  const parsed = ConfigFile.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`${file}: ${issue.path.join(".")}: ${issue.message}`);
  }
  const config = parsed.data;
  const providerId = config.model_provider ?? "openai";
  const providerRaw = config.model_providers[providerId] ??
    (providerId === "openai" ? Provider.parse(OPENAI_PROVIDER) : undefined);
  if (!providerRaw) {
    throw new ConfigError(
      `${file}: model_provider "${providerId}" has no [model_providers.${providerId}] table`,
    );
  }
  if (providerRaw.wire_api !== "responses") {
    throw new ConfigError(
      `${file}: model_providers.${providerId}.wire_api = "${providerRaw.wire_api}" is not supported; ` +
        `only "responses" is. For a chat-completions backend, run \`tscodex serve\` in front of it ` +
        `and point base_url at the proxy.`,
    );
  }
  let apiKey: string | undefined;
  if (providerRaw.env_key) {
    apiKey = env[providerRaw.env_key];
    if (!apiKey) {
      throw new ConfigError(
        `the environment variable ${providerRaw.env_key} (model_providers.${providerId}.env_key) is not set; ` +
          `export it or put it in ${join(home, ".env")}`,
      );
    }
  }
  const headers: Record<string, string> = { ...providerRaw.http_headers };
  for (const [header, variable] of Object.entries(providerRaw.env_http_headers ?? {})) {
    const value = env[variable];
    if (value) headers[header] = value;
  }
  return {
    file,
    model: config.model ?? "gpt-5.1-codex",
    provider: {
      id: providerId,
      baseUrl: providerRaw.base_url,
      apiKey,
      headers,
      queryParams: providerRaw.query_params,
      streamMaxRetries: providerRaw.stream_max_retries,
      streamIdleTimeoutMs: providerRaw.stream_idle_timeout_ms,
    },
    reasoning: config.model_reasoning_effort || config.model_reasoning_summary
      ? { effort: config.model_reasoning_effort, summary: config.model_reasoning_summary }
      : undefined,
    baseInstructions: config.base_instructions,
  };
}
