// What a surface (exec, the REPL, a review) asks of a session, and what it gets back.
import process from "node:process";
import type {
  Agent,
  AgentEvent,
  ApprovalPolicy,
  CollaborationMode,
  SandboxMode,
  SubAgentManager,
  SubAgentManagerOptions,
} from "../../agent/mod.ts";
import { type Config, featureOverrides } from "../../config/mod.ts";
import type { RolloutRecorder, SessionTarget } from "../../session/mod.ts";
import type {
  ApprovalHandler,
  PermissionsHandler,
  ToolDef,
  UserInputHandler,
} from "../../tools/mod.ts";
import type { McpStartupEvent } from "../../mcp/mod.ts";
import type { BackendSwitches } from "./backend_bridge.ts";

/** A provider given in code rather than config.toml (the embedding API's explicit options). */
export interface ExplicitProvider {
  baseUrl: string;
  apiKey?: string;
  wireApi?: "responses" | "chat" | "messages";
}

export interface AgentSessionOptions {
  cwd: string;
  /** CODEX_HOME; `$CODEX_HOME` or ~/.codex when unset. */
  home?: string;
  /** Use this provider instead of the one config.toml selects. */
  provider?: ExplicitProvider;
  /** Tools of the surface's own (the embedding host's, `tscodex js`'s), offered with the rest. */
  extraTools?: ToolDef[];
  model?: string;
  /** `-c key=value` flags, in order. */
  configOverrides?: string[];
  /** `--profile`. */
  profile?: string;
  /** `--use-chat-completion`, `--use-messages`, `--vllm-endpoint`: what the backend speaks. */
  backend?: BackendSwitches;
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
  /**
   * The MCP servers' startup so far, then as it goes on: each server starting, ready or failed
   * (once), then the summary (empty, at once, when none is configured).
   */
  mcpStartup(listener: (event: McpStartupEvent) => void): void;
  close(): Promise<void>;
}

/** The agent flags every interactive command shares (`-m`, `-c`, `-p`, `--enable`, `--add-dir`). */
export interface SessionFlags {
  model?: string;
  config?: string[];
  profile?: string;
  enable?: string[];
  disable?: string[];
  addDir?: string[];
}

/** A session in the current folder as `flags` ask for it. */
export function sessionFromFlags(
  flags: SessionFlags,
): Pick<AgentSessionOptions, "cwd" | "model" | "configOverrides" | "profile" | "addDirs"> {
  return {
    cwd: process.cwd(),
    model: flags.model,
    configOverrides: [...flags.config ?? [], ...featureOverrides(flags.enable, flags.disable)],
    profile: flags.profile,
    addDirs: flags.addDir,
  };
}
