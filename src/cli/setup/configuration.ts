// Opening a session: the user's configuration, or — when there is none — the offline demo on
// the embedded scripted server.
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  codexHome,
  type Config,
  loadConfig,
  Secret,
  shellEnvironmentPolicy,
} from "../../config/mod.ts";
import type { FakeResponsesServer } from "../../fake/mod.ts";
import { VERSION } from "../version.ts";
import type { AgentSessionOptions } from "./options.ts";
import { vllmOverrides } from "./backend_bridge.ts";

export interface LoadedConfiguration {
  config: Config;
  /** The scripted server the offline demo talks to; unset when a provider is configured. */
  demo?: FakeResponsesServer;
}

function demoConfig(home: string, baseUrl: string): Config {
  return {
    home,
    file: "(built-in demo)",
    model: "tscodex-demo",
    provider: {
      id: "demo",
      name: "tscodex demo",
      wireApi: "responses",
      baseUrl,
      headers: {},
      queryParams: {},
      requestMaxRetries: 0,
      streamMaxRetries: 0,
      streamIdleTimeoutMs: 30_000,
    },
    features: {},
    mcpServers: [],
    shellEnvironment: shellEnvironmentPolicy(undefined),
    table: {},
  };
}

/** The provider named `custom`, when one is given in code; its key is set after loading. */
function providerOverrides(provider: AgentSessionOptions["provider"]): string[] {
  if (!provider) return [];
  return [
    `model_provider="custom"`,
    `model_providers.custom.base_url=${JSON.stringify(provider.baseUrl)}`,
    `model_providers.custom.wire_api=${JSON.stringify(provider.wireApi ?? "responses")}`,
  ];
}

export async function loadConfigurationOrDemo(
  options: AgentSessionOptions,
): Promise<LoadedConfiguration> {
  const home = options.home ?? codexHome();
  const config = loadConfig({
    home,
    // `--vllm-endpoint` and a provider given in code are providers of their own, layered over
    // config.toml like `-c`.
    overrides: [
      ...options.configOverrides ?? [],
      ...vllmOverrides(options.backend),
      ...providerOverrides(options.provider),
    ],
    profile: options.profile,
    model: options.model,
    clientVersion: VERSION,
  });
  if (config) {
    const key = options.provider?.apiKey;
    if (key) config.provider.apiKey = new Secret(key);
    return { config };
  }
  // The scripted server is loaded only for the demo, not on every start.
  const { DEMO_SCENARIO, FakeResponsesServer } = await import("../../fake/mod.ts");
  const demo = new FakeResponsesServer(DEMO_SCENARIO, { lenient: true });
  await demo.start();
  // A demo's session is no session of the user's: it is kept out of their CODEX_HOME.
  const demoHome = await mkdtemp(join(tmpdir(), "tscodex-demo-"));
  options.notice(
    `tscodex: nothing configures a model provider (no ${join(home, "config.toml")}, ` +
      `no CODEX_API_KEY, OPENAI_API_KEY or OPENAI_BASE_URL); running offline against the ` +
      `built-in demo (a scripted model on ${demo.baseUrl}). Its session is recorded in ` +
      `${demoHome}, not in ${home}.`,
  );
  return { config: demoConfig(demoHome, demo.baseUrl), demo };
}
