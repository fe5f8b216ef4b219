// What exec and the REPL share: configuration (or the offline demo), tools, and the agent.
import process from "node:process";
import {
  Agent,
  type AgentEvent,
  type ApprovalPolicy,
  BASE_INSTRUCTIONS,
  environmentFacts,
  initialContext,
  type SandboxMode,
  userInstructions,
} from "../agent/mod.ts";
import { codexHome, type Config, loadConfig } from "../config/mod.ts";
import { DEMO_SCENARIO, FakeResponsesServer } from "../fake/mod.ts";
import { ResponsesClient } from "../model/mod.ts";
import { uuidv7 } from "../protocol/mod.ts";
import { defaultTools, ProcessManager } from "../tools/mod.ts";
import { defaultShell } from "../tools/exec_command.ts";
import { VERSION } from "./version.ts";

export interface AgentSessionOptions {
  cwd: string;
  model?: string;
  /** `codex_exec` for exec, `codex_cli_rs` for the interactive CLI, as upstream names them. */
  originator: string;
  sandboxMode?: SandboxMode;
  approvalPolicy?: ApprovalPolicy;
  /** Replaces the base instructions (`--system-prompt`). */
  systemPrompt?: string;
  onEvent: (event: AgentEvent) => void;
  /** Where to say that the offline demo is in use. */
  notice: (text: string) => void;
}

export interface AgentSession {
  agent: Agent;
  config: Config;
  home: string;
  offline: boolean;
  close(): Promise<void>;
}

function demoConfig(baseUrl: string): Config {
  return {
    file: "(built-in demo)",
    model: "tscodex-demo",
    provider: {
      id: "demo",
      baseUrl,
      headers: {},
      streamMaxRetries: 0,
      streamIdleTimeoutMs: 30_000,
    },
  };
}

export async function openAgentSession(options: AgentSessionOptions): Promise<AgentSession> {
  const home = codexHome();
  let config = await loadConfig(home);
  let fake: FakeResponsesServer | undefined;
  if (!config) {
    fake = new FakeResponsesServer(DEMO_SCENARIO);
    await fake.start();
    options.notice(
      `tscodex: no config.toml in ${home}; running offline against the built-in demo ` +
        `(a scripted model on ${fake.baseUrl})`,
    );
    config = demoConfig(fake.baseUrl);
  }
  const processes = new ProcessManager();
  const sessionId = uuidv7();
  const { cwd } = options;
  const agent = new Agent({
    sessionId,
    client: new ResponsesClient({
      baseUrl: config.provider.baseUrl,
      apiKey: config.provider.apiKey,
      headers: config.provider.headers,
      queryParams: config.provider.queryParams,
      streamIdleTimeoutMs: config.provider.streamIdleTimeoutMs,
    }),
    model: options.model ?? config.model,
    baseInstructions: options.systemPrompt ?? config.baseInstructions ?? BASE_INSTRUCTIONS,
    tools: defaultTools(processes),
    cwd,
    maxRetries: config.provider.streamMaxRetries,
    reasoning: config.reasoning,
    initialContext: initialContext({
      environment: environmentFacts(cwd, defaultShell()),
      sandboxMode: options.sandboxMode ?? "read-only",
      approvalPolicy: options.approvalPolicy ?? "never",
      userInstructions: userInstructions(cwd, home),
    }),
    headers: () => ({
      "x-client-request-id": sessionId,
      session_id: sessionId,
      originator: options.originator,
      "user-agent":
        `${options.originator}/${VERSION} (tscodex ${VERSION}; ${process.platform} ${process.arch})`,
    }),
    onEvent: options.onEvent,
  });
  return {
    agent,
    config,
    home,
    offline: fake !== undefined,
    close: async () => {
      processes.killAll();
      await fake?.close();
    },
  };
}
