// What exec and the REPL share: configuration (or the offline demo), tools, and the agent.
import { tmpdir } from "node:os";
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
import { clientIdentity, modelParameters, ResponsesClient, sessionHeaders } from "../model/mod.ts";
import { uuidv7 } from "../protocol/mod.ts";
import { defaultTools, ProcessManager } from "../tools/mod.ts";
import { defaultShell } from "../tools/exec_command.ts";
import { VERSION } from "./version.ts";

export interface AgentSessionOptions {
  cwd: string;
  model?: string;
  /** `-c key=value` flags, in order. */
  configOverrides?: string[];
  /** `--profile`. */
  profile?: string;
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
  sandboxMode: SandboxMode;
  approvalPolicy: ApprovalPolicy;
  config: Config;
  home: string;
  offline: boolean;
  close(): Promise<void>;
}

function demoConfig(home: string, baseUrl: string): Config {
  return {
    home,
    file: "(built-in demo)",
    model: "tscodex-demo",
    provider: {
      id: "demo",
      name: "tscodex demo",
      baseUrl,
      headers: {},
      queryParams: {},
      requestMaxRetries: 0,
      streamMaxRetries: 0,
      streamIdleTimeoutMs: 30_000,
    },
    features: {},
    table: {},
  };
}

export async function openAgentSession(options: AgentSessionOptions): Promise<AgentSession> {
  const home = codexHome();
  let config = loadConfig({
    home,
    overrides: options.configOverrides,
    profile: options.profile,
    model: options.model,
    clientVersion: VERSION,
  });
  let fake: FakeResponsesServer | undefined;
  if (!config) {
    fake = new FakeResponsesServer(DEMO_SCENARIO);
    await fake.start();
    options.notice(
      `tscodex: no config.toml in ${home}; running offline against the built-in demo ` +
        `(a scripted model on ${fake.baseUrl})`,
    );
    config = demoConfig(home, fake.baseUrl);
  }
  const processes = new ProcessManager();
  const sessionId = uuidv7();
  const { cwd } = options;
  const sandboxMode = options.sandboxMode ?? config.sandboxMode ?? "read-only";
  const approvalPolicy = options.approvalPolicy ?? config.approvalPolicy ?? "never";
  const writableRoots = sandboxMode === "workspace-write" ? [cwd, tmpdir()] : [];
  const agent = new Agent({
    sessionId,
    client: new ResponsesClient(config.provider),
    model: options.model ?? config.model,
    baseInstructions: options.systemPrompt ?? config.baseInstructions ?? BASE_INSTRUCTIONS,
    tools: defaultTools(processes),
    cwd,
    maxRetries: config.provider.streamMaxRetries,
    modelSettings: config,
    parallelToolCalls: modelParameters({ ...config, model: options.model ?? config.model })
      .parallelToolCalls,
    initialContext: initialContext({
      environment: environmentFacts(cwd, defaultShell()),
      sandboxMode,
      approvalPolicy,
      writableRoots,
      developerInstructions: config.developerInstructions,
      userInstructions: userInstructions(cwd, home),
    }),
    autoCompactTokenLimit: config.autoCompactTokenLimit,
    sandbox: { mode: sandboxMode, writableRoots },
    headers: sessionHeaders({
      identity: clientIdentity(options.originator, VERSION, process.env),
      sessionId,
      cwd,
      sandboxMode,
    }),
    onEvent: options.onEvent,
  });
  return {
    agent,
    sandboxMode,
    approvalPolicy,
    config,
    home,
    offline: fake !== undefined,
    close: async () => {
      processes.killAll();
      await fake?.close();
    },
  };
}
