// What exec and the REPL share: configuration (or the offline demo), tools, and the agent.
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import process from "node:process";
import {
  Agent,
  type AgentEvent,
  type ApprovalPolicy,
  BASE_INSTRUCTIONS,
  COLLABORATION_MODES,
  type CollaborationMode,
  type CollaborationModeKind,
  collaborationModeText,
  contextMessage,
  type ContextOptions,
  discoverSkills,
  environmentFacts,
  initialContext,
  installSystemSkills,
  modelSwitchText,
  rolloutListener,
  type SandboxMode,
  settingsUpdateContext,
  SUBAGENT_HEADER,
  SubAgentManager,
  type SubAgentManagerOptions,
  userInstructions,
} from "../agent/mod.ts";
import { codexHome, type Config, loadConfig, projectTrust } from "../config/mod.ts";
import type { FakeResponsesServer } from "../fake/mod.ts";
import {
  clientIdentity,
  modelInfo,
  modelParameters,
  ResponsesClient,
  sessionHeaders,
  type TruncationPolicy,
} from "../model/mod.ts";
import {
  createSession,
  type CreateSessionOptions,
  gitInfoOf,
  openSession,
  type RolloutRecorder,
  type SessionTarget,
  type TokenInfo,
} from "../session/mod.ts";
import { gitFacts } from "../system/git.ts";
import {
  type ApprovalHandler,
  CodeCells,
  CommandApprovals,
  defaultTools,
  PermissionGrants,
  type PermissionsHandler,
  ProcessManager,
  type SandboxPolicy,
  sandboxSupport,
  type UserInputHandler,
  writableRoots as sandboxWritableRoots,
} from "../tools/mod.ts";
import { defaultShell } from "../tools/exec_command.ts";
import { VERSION } from "./version.ts";

export interface AgentSessionOptions {
  cwd: string;
  model?: string;
  /** `-c key=value` flags, in order. */
  configOverrides?: string[];
  /** `--profile`. */
  profile?: string;
  /** `codex_exec` for exec, `codex-tui` for the interactive CLI, as upstream names them. */
  originator: string;
  sandboxMode?: SandboxMode;
  approvalPolicy?: ApprovalPolicy;
  /** Replaces the base instructions (`--system-prompt`). */
  systemPrompt?: string;
  /** Continue a recorded session instead of starting one. */
  resume?: SessionTarget;
  /** Keep no rollout (`exec --ephemeral`). */
  ephemeral?: boolean;
  /** More writable folders under workspace-write (`--add-dir`). */
  addDirs?: string[];
  /** The JSON schema the final answer must follow (`exec --output-schema`). */
  outputSchema?: unknown;
  /** `exec` or `cli`, recorded in the rollout's session_meta; a review thread's names it. */
  source: "exec" | "cli" | { subagent: "review" };
  /** Offer only these tools (a review thread's fixed set); all of them when unset. */
  onlyTools?: readonly string[];
  /** The `x-openai-subagent` header value of a thread that works for another (`review`). */
  subagent?: string;
  onEvent: (event: AgentEvent) => void;
  /** Where to say that the offline demo is in use. */
  notice: (text: string) => void;
  /** The session's collaboration mode, for surfaces that have modes (the REPL). */
  collaboration?: CollaborationMode;
  /** Who answers request_user_input and request_permissions; exec has nobody to ask. */
  askUser?: UserInputHandler;
  askPermissions?: PermissionsHandler;
  /** Who approves commands the approval policy asks about; without one the answer is no. */
  askApproval?: ApprovalHandler;
  /** Events of the sub-agents, for the UI. */
  onSubAgentEvent?: SubAgentManagerOptions["onChildEvent"];
}

export interface AgentSession {
  agent: Agent;
  /** The usable context window in tokens, as the rollout records it. */
  contextWindow: number;
  /** The rollout file this session appends to. */
  rolloutPath: string;
  /** Its recorder, for lines of a flow the agent does not run itself (a review's). */
  recorder: RolloutRecorder;
  sandboxMode: SandboxMode;
  approvalPolicy: ApprovalPolicy;
  config: Config;
  home: string;
  offline: boolean;
  subAgents: SubAgentManager;
  /** A resumed session's token usage so far, as its rollout last recorded it. */
  priorUsage?: { input_tokens: number; cached_input_tokens: number; output_tokens: number };
  /** Uses another model from the next turn on, and tells it so (as upstream's /model does). */
  switchModel(model: string): void;
  close(): Promise<void>;
}

/**
 * The sandbox for `mode`; `[sandbox_workspace_write]` and `--add-dir` only shape workspace-write,
 * whose writable roots end, as upstream's do, with CODEX_HOME/memories.
 */
function sandboxFor(
  mode: SandboxMode,
  config: Config,
  cwd: string,
  addDirs: string[] = [],
): SandboxPolicy {
  const table = config.table.sandbox_workspace_write;
  if (mode !== "workspace-write") return { mode };
  const memories = join(config.home, "memories");
  try {
    mkdirSync(memories, { recursive: true });
  } catch {
    // A read-only CODEX_HOME: the root is listed anyway and the sandbox skips what is missing.
  }
  return {
    mode,
    writableRoots: [
      ...new Set([...(table?.writable_roots ?? []), ...addDirs].map((root) => resolve(cwd, root))),
      memories,
    ],
    networkAccess: table?.network_access ?? false,
    excludeTmpdirEnvVar: table?.exclude_tmpdir_env_var ?? false,
    excludeSlashTmp: table?.exclude_slash_tmp ?? false,
  };
}

/**
 * What the history keeps of one tool output: the model's truncation policy, its limit replaced
 * by `tool_output_token_limit` when set (as bytes, 4 per token, for a byte-counting model).
 */
function outputBudget(model: string, config: Config): TruncationPolicy {
  const policy = modelInfo(model).truncation;
  const tokens = config.toolOutputTokenLimit;
  if (tokens === undefined) return policy;
  return { mode: policy.mode, limit: policy.mode === "bytes" ? tokens * 4 : tokens };
}

/** The sandbox as turn_context records it (the working directory and temp dirs are implied). */
function sandboxPolicy(sandbox: SandboxPolicy): Record<string, unknown> {
  if (sandbox.mode !== "workspace-write") return { type: sandbox.mode };
  return {
    type: sandbox.mode,
    writable_roots: sandbox.writableRoots ?? [],
    network_access: sandbox.networkAccess ?? false,
    exclude_tmpdir_env_var: sandbox.excludeTmpdirEnvVar ?? false,
    exclude_slash_tmp: sandbox.excludeSlashTmp ?? false,
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
  // Git runs while the configuration loads; the session's metadata and first turn share it.
  const git = gitFacts(options.cwd);
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
    // The scripted server is loaded only for the demo, not on every start.
    const { DEMO_SCENARIO, FakeResponsesServer } = await import("../fake/mod.ts");
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
  // The interactive CLI's defaults follow the trust the user gave the folder, as upstream's TUI.
  const trust = options.source === "cli" ? projectTrust(config.table, cwd) : undefined;
  let sandboxMode = options.sandboxMode ?? config.sandboxMode ??
    (trust ? "workspace-write" : "read-only");
  const approvalPolicy = options.approvalPolicy ?? config.approvalPolicy ??
    (trust === "trusted" ? "on-request" : trust === "untrusted" ? "untrusted" : "never");
  // Commands will fail rather than run unsandboxed; say so before the first one does.
  const support = sandboxMode === "danger-full-access" ? undefined : sandboxSupport();
  if (support && !support.ok) {
    if (fake && !options.sandboxMode) {
      // The offline demo runs two fixed, read-only commands that no model chose, so it may
      // run them without a sandbox — but never without saying so.
      options.notice(
        `tscodex: ${support.problem}\ntscodex: the offline demo runs its two fixed commands ` +
          `without a sandbox; model-chosen commands never do`,
      );
      sandboxMode = "danger-full-access";
    } else options.notice(`tscodex: warning: ${support.problem}`);
  }
  const sandbox = sandboxFor(sandboxMode, config, cwd, options.addDirs);
  const writableRoots = sandboxWritableRoots(sandbox, cwd) ?? [];
  const model = options.model ?? config.model;
  const environment = environmentFacts(cwd, defaultShell());
  const agentsMd = userInstructions(cwd, home);
  const resumed = options.resume ? await openSession(home, options.resume) : undefined;
  // A resumed session keeps the instructions it was recorded with, as upstream does.
  const baseInstructions = options.systemPrompt ?? resumed?.meta?.base_instructions?.text ??
    config.baseInstructions ?? BASE_INSTRUCTIONS;
  const startSession = async (
    extra: Pick<CreateSessionOptions, "sessionId" | "source" | "agentNickname" | "ephemeral">,
  ) =>
    createSession({
      codexHome: home,
      cwd,
      originator: options.originator,
      cliVersion: VERSION,
      modelProvider: config.provider.id,
      baseInstructions,
      git: gitInfoOf(await git) ?? null,
      ...extra,
    });
  const rollout = resumed ??
    await startSession({ source: options.source, ephemeral: options.ephemeral });
  const sessionId = rollout.sessionId;
  // Upstream reports 95% of the model's window as usable, and records it with every turn.
  const contextWindow = Math.floor((config.contextWindow ?? modelInfo(model).contextWindow) * 0.95);
  const listenerFor = (
    recorder: RolloutRecorder,
    turn: { model: string; effort?: string; collaborationMode?: CollaborationModeKind },
    tokenInfo?: TokenInfo | null,
  ) =>
    rolloutListener({
      recorder,
      modelContextWindow: contextWindow,
      tokenInfo,
      turnSettings: () => ({
        collaborationMode: turn.collaborationMode,
        // Where there are modes, the turn records the mode's instructions and effort.
        ...(turn.collaborationMode
          ? {
            developerInstructions: COLLABORATION_MODES[turn.collaborationMode].instructions,
          }
          : {}),
        cwd,
        currentDate: environment.currentDate,
        timezone: environment.timezone,
        approvalPolicy,
        sandboxPolicy: sandboxPolicy(sandbox),
        model: turn.model,
        effort: (turn.collaborationMode && COLLABORATION_MODES[turn.collaborationMode].effort) ??
          turn.effort ?? null,
        summary: config.reasoningSummary ?? "auto",
        userInstructions: agentsMd ?? null,
        configDeveloperInstructions: config.developerInstructions,
        outputSchema: options.outputSchema,
        truncationPolicy: modelInfo(turn.model).truncation,
      }),
    });
  // The main session's turn settings; `switchModel` changes the model for the turns after it.
  const mainTurn = {
    model,
    effort: config.reasoningEffort,
    /** Read at each turn: `/plan` switches it between turns. */
    get collaborationMode() {
      return options.collaboration?.kind;
    },
  };
  const record = listenerFor(rollout.recorder, mainTurn, resumed?.tokenInfo);
  // Each sub-agent keeps a rollout of its own, naming its parent, as upstream's do.
  const childRecorders: RolloutRecorder[] = [];
  const identity = clientIdentity(options.originator, VERSION, process.env);
  // The session's first turn reuses the early git probe; an ephemeral session reports no
  // workspace in its turn metadata, as upstream 0.115's.
  const firstTurnGit = options.ephemeral ? Promise.resolve(undefined) : git;
  const headersFor = (id: string) => {
    const headers = sessionHeaders({
      identity,
      sessionId: id,
      cwd,
      sandboxMode,
      git: id === sessionId ? firstTurnGit : undefined,
    });
    const subagent = options.subagent;
    if (subagent === undefined) return headers;
    return async (context: { turnId: string }) => ({
      ...await headers(context),
      [SUBAGENT_HEADER]: subagent,
    });
  };
  // Upstream's feature flags: sub-agents are on unless disabled, the others opt-in.
  const { features } = config;
  const codeCells = features.code_mode ? new CodeCells() : undefined;
  const permissionGrants = new PermissionGrants();
  const collaboration = options.collaboration;
  // What the model decides about the tools: the output budget, and whether apply_patch is
  // offered (its catalog entry decides, as upstream's; the apply_patch_freeform feature adds it).
  const modelTools = {
    outputBudget: outputBudget(model, config),
    // Without a sandbox the search is live, as upstream makes it; otherwise the cached index
    // unless `web_search = "live"`.
    webSearch: config.webSearch === "disabled" ? false as const : {
      externalWebAccess: config.webSearch === "live" || sandboxMode === "danger-full-access",
    },
    applyPatch: features.apply_patch_freeform || modelInfo(model).applyPatch
      ? "freeform" as const
      : false as const,
  };
  const tools = defaultTools(processes, {
    ...modelTools,
    ...(collaboration
      ? { userInput: { mode: collaboration.userInputMode, handler: options.askUser } }
      : {}),
    ...(features.request_permissions_tool
      ? { requestPermissions: { handler: options.askPermissions, grants: permissionGrants } }
      : {}),
    ...(codeCells ? { codeMode: codeCells } : {}),
  });
  const subAgents = new SubAgentManager({
    childTools: () => defaultTools(processes, { userInput: false, ...modelTools }),
    childHeaders: headersFor,
    onChildEvent: options.onSubAgentEvent,
    recordChild: async (child) => {
      const created = await startSession({
        sessionId: child.id,
        source: {
          subagent: {
            thread_spawn: {
              parent_thread_id: child.parentId,
              depth: 1,
              agent_nickname: child.nickname,
              agent_role: null,
            },
          },
        },
        agentNickname: child.nickname,
      });
      childRecorders.push(created.recorder);
      return listenerFor(created.recorder, { model: child.model, effort: child.reasoningEffort });
    },
  });
  if (features.multi_agent !== false) subAgents.register(tools);
  const onlyTools = options.onlyTools;
  if (onlyTools) tools.retain((name) => onlyTools.includes(name));
  installSystemSkills(home, VERSION);
  const contextOptions: ContextOptions = {
    environment,
    sandboxMode,
    approvalPolicy,
    writableRoots,
    networkAccess: sandbox.networkAccess,
    developerInstructions: config.developerInstructions,
    collaborationMode: collaboration && collaborationModeText(collaboration.kind),
    userInstructions: agentsMd,
    skills: discoverSkills(home),
  };
  const agent = new Agent({
    sessionId,
    client: new ResponsesClient(config.provider),
    model,
    baseInstructions,
    tools,
    cwd,
    maxRetries: config.provider.streamMaxRetries,
    outputSchema: options.outputSchema,
    modelSettings: config,
    parallelToolCalls: modelParameters({ ...config, model: options.model ?? config.model })
      .parallelToolCalls,
    initialContext: initialContext(contextOptions),
    autoCompactTokenLimit: config.autoCompactTokenLimit,
    sandbox,
    approvals: new CommandApprovals(approvalPolicy, options.askApproval),
    permissionGrants,
    headers: headersFor(sessionId),
    onEvent: (event) => {
      record(event);
      options.onEvent(event);
    },
  });
  if (resumed) {
    agent.restoreHistory(resumed.history);
    // Settings changed since the recorded turns (sandbox, approvals, model, folder): say so.
    agent.enqueueInput(settingsUpdateContext(resumed.lastTurnContext, {
      options: contextOptions,
      model,
      sandboxPolicy: sandboxPolicy(sandbox),
      baseInstructions,
    }));
  }
  subAgents.attach(agent);
  return {
    agent,
    contextWindow,
    rolloutPath: rollout.path,
    recorder: rollout.recorder,
    sandboxMode,
    approvalPolicy,
    config,
    home,
    offline: fake !== undefined,
    subAgents,
    priorUsage: resumed?.tokenInfo?.total_token_usage,
    switchModel: (next) => {
      if (next === agent.options.model) return;
      agent.options.model = next;
      mainTurn.model = next;
      tools.outputBudget = outputBudget(next, config);
      // Before the first turn there is nothing another model wrote.
      if (agent.history.length === 0) return;
      agent.enqueueInput([contextMessage("developer", [modelSwitchText(next, baseInstructions)])]);
    },
    close: async () => {
      await subAgents.shutdown();
      await codeCells?.close();
      processes.killAll();
      rollout.recorder.close();
      for (const recorder of childRecorders) recorder.close();
      await fake?.close();
    },
  };
}
