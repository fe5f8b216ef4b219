// What exec and the REPL share: configuration (or the offline demo), tools, and the agent.
import { tmpdir } from "node:os";
import process from "node:process";
import {
  Agent,
  type AgentEvent,
  type ApprovalPolicy,
  BASE_INSTRUCTIONS,
  discoverSkills,
  environmentFacts,
  initialContext,
  rolloutListener,
  type SandboxMode,
  userInstructions,
} from "../agent/mod.ts";
import { codexHome, type Config, loadConfig } from "../config/mod.ts";
import { DEMO_SCENARIO, FakeResponsesServer } from "../fake/mod.ts";
import {
  clientIdentity,
  modelInfo,
  modelParameters,
  ResponsesClient,
  sessionHeaders,
} from "../model/mod.ts";
import { createSession, openSession, type SessionTarget } from "../session/mod.ts";
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
  /** Continue a recorded session instead of starting one. */
  resume?: SessionTarget;
  /** `exec` or `cli`, recorded in the rollout's session_meta. */
  source: "exec" | "cli";
  onEvent: (event: AgentEvent) => void;
  /** Where to say that the offline demo is in use. */
  notice: (text: string) => void;
}

export interface AgentSession {
  agent: Agent;
  /** The usable context window in tokens, as the rollout records it. */
  contextWindow: number;
  /** The rollout file this session appends to. */
  rolloutPath: string;
  sandboxMode: SandboxMode;
  approvalPolicy: ApprovalPolicy;
  config: Config;
  home: string;
  offline: boolean;
  close(): Promise<void>;
}

/** The sandbox as turn_context records it. */
function sandboxPolicy(mode: SandboxMode, writableRoots: string[]): Record<string, unknown> {
  if (mode !== "workspace-write") return { type: mode };
  return {
    type: mode,
    writable_roots: writableRoots,
    network_access: false,
    exclude_tmpdir_env_var: false,
    exclude_slash_tmp: false,
  };
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
  const { cwd } = options;
  const sandboxMode = options.sandboxMode ?? config.sandboxMode ?? "read-only";
  const approvalPolicy = options.approvalPolicy ?? config.approvalPolicy ?? "never";
  const writableRoots = sandboxMode === "workspace-write" ? [cwd, tmpdir()] : [];
  const model = options.model ?? config.model;
  const environment = environmentFacts(cwd, defaultShell());
  const agentsMd = userInstructions(cwd, home);
  const resumed = options.resume ? await openSession(home, options.resume) : undefined;
  // A resumed session keeps the instructions it was recorded with, as upstream does.
  const baseInstructions = options.systemPrompt ?? resumed?.meta?.base_instructions?.text ??
    config.baseInstructions ?? BASE_INSTRUCTIONS;
  const rollout = resumed ?? await createSession({
    codexHome: home,
    cwd,
    originator: options.originator,
    cliVersion: VERSION,
    source: options.source,
    modelProvider: config.provider.id,
    baseInstructions,
  });
  const sessionId = rollout.sessionId;
  // Upstream reports 95% of the model's window as usable, and records it with every turn.
  const contextWindow = Math.floor((config.contextWindow ?? modelInfo(model).contextWindow) * 0.95);
  const record = rolloutListener({
    recorder: rollout.recorder,
    modelContextWindow: contextWindow,
    tokenInfo: resumed?.tokenInfo,
    turnSettings: {
      cwd,
      currentDate: environment.currentDate,
      timezone: environment.timezone,
      approvalPolicy,
      sandboxPolicy: sandboxPolicy(sandboxMode, writableRoots),
      model,
      effort: config.reasoningEffort ?? null,
      summary: config.reasoningSummary ?? "auto",
      userInstructions: agentsMd ?? null,
    },
  });
  const agent = new Agent({
    sessionId,
    client: new ResponsesClient(config.provider),
    model,
    baseInstructions,
    tools: defaultTools(processes),
    cwd,
    maxRetries: config.provider.streamMaxRetries,
    modelSettings: config,
    parallelToolCalls: modelParameters({ ...config, model: options.model ?? config.model })
      .parallelToolCalls,
    initialContext: initialContext({
      environment,
      sandboxMode,
      approvalPolicy,
      writableRoots,
      developerInstructions: config.developerInstructions,
      userInstructions: agentsMd,
      skills: discoverSkills(home),
    }),
    autoCompactTokenLimit: config.autoCompactTokenLimit,
    sandbox: { mode: sandboxMode, writableRoots },
    headers: sessionHeaders({
      identity: clientIdentity(options.originator, VERSION, process.env),
      sessionId,
      cwd,
      sandboxMode,
    }),
    onEvent: (event) => {
      record(event);
      options.onEvent(event);
    },
  });
  if (resumed) agent.restoreHistory(resumed.history);
  return {
    agent,
    contextWindow,
    rolloutPath: rollout.path,
    sandboxMode,
    approvalPolicy,
    config,
    home,
    offline: fake !== undefined,
    close: async () => {
      processes.killAll();
      rollout.recorder.close();
      await fake?.close();
    },
  };
}
