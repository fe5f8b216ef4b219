// Payload builders for the lines a rollout records, with upstream 0.115.0's key order (readers
// such as upstream's own resume, and diffs against its captures, see the exact JSON).
import type { Usage } from "../protocol/mod.ts";
import type { GitInfo, TokenInfo, TokenUsage } from "./schema.ts";

/** `rate_limits` as upstream writes it when the provider sent no rate-limit headers. */
const NO_RATE_LIMITS = {
  limit_id: "codex",
  limit_name: null,
  primary: null,
  secondary: null,
  credits: null,
  plan_type: null,
};

export interface SessionMetaFields {
  id: string;
  /** ISO time the session started. */
  timestamp: string;
  cwd: string;
  /** The client name, e.g. `codex_exec`. */
  originator: string;
  cliVersion: string;
  /**
   * `exec` for one-shot runs, `cli` for the interactive REPL; a sub-agent's names its parent:
   * `{subagent: {thread_spawn: {parent_thread_id, depth, agent_nickname, agent_role}}}`.
   */
  source: string | Record<string, unknown>;
  /** A sub-agent's nickname, recorded again right after `source` as upstream does. */
  agentNickname?: string;
  modelProvider: string;
  baseInstructions: string;
  git?: GitInfo | null;
}

export function sessionMetaPayload(fields: SessionMetaFields) {
  return {
    id: fields.id,
    timestamp: fields.timestamp,
    cwd: fields.cwd,
    originator: fields.originator,
    cli_version: fields.cliVersion,
    source: fields.source,
    ...(fields.agentNickname !== undefined ? { agent_nickname: fields.agentNickname } : {}),
    model_provider: fields.modelProvider,
    base_instructions: { text: fields.baseInstructions },
    ...(fields.git ? { git: fields.git } : {}),
  };
}

/** What a turn ran with; recorded as `turn_context` before each turn's user message. */
export interface TurnSettings {
  cwd: string;
  /** YYYY-MM-DD in the user's timezone, as the environment context says it. */
  currentDate: string;
  timezone: string;
  /** `never`, `on-request`, `on-failure` or `untrusted`. */
  approvalPolicy: string;
  /** e.g. `{"type":"read-only"}` or the workspace-write object with its writable roots. */
  sandboxPolicy: Record<string, unknown>;
  model: string;
  /** Upstream's default for its codex models is `pragmatic`. */
  personality?: string | null;
  /** `default` unless a collaboration mode (plan, …) is active. */
  collaborationMode?: string;
  developerInstructions?: string | null;
  effort?: string | null;
  /** The reasoning summary setting: `auto`, `concise`, `detailed` or `none`. */
  summary?: string;
  /** The AGENTS.md text, when the workspace has one. */
  userInstructions?: string | null;
  /** `developer_instructions` of config.toml, recorded as upstream records them. */
  configDeveloperInstructions?: string;
  /** `exec --output-schema`, recorded as upstream records it. */
  outputSchema?: unknown;
  truncationPolicy?: { mode: string; limit: number };
}

export function turnContextPayload(turnId: string, s: TurnSettings) {
  return {
    turn_id: turnId,
    cwd: s.cwd,
    current_date: s.currentDate,
    timezone: s.timezone,
    approval_policy: s.approvalPolicy,
    sandbox_policy: s.sandboxPolicy,
    model: s.model,
    personality: s.personality === undefined ? "pragmatic" : s.personality,
    collaboration_mode: {
      mode: s.collaborationMode ?? "default",
      settings: {
        model: s.model,
        reasoning_effort: s.effort ?? null,
        developer_instructions: s.developerInstructions ?? null,
      },
    },
    realtime_active: false,
    ...(s.effort ? { effort: s.effort } : {}),
    summary: s.summary ?? "auto",
    ...(s.userInstructions ? { user_instructions: s.userInstructions } : {}),
    ...(s.configDeveloperInstructions
      ? { developer_instructions: s.configDeveloperInstructions }
      : {}),
    ...(s.outputSchema !== undefined ? { final_output_json_schema: s.outputSchema } : {}),
    truncation_policy: s.truncationPolicy ?? { mode: "tokens", limit: 10_000 },
  };
}

export function taskStarted(
  turnId: string,
  modelContextWindow: number | null,
  collaborationMode = "default",
) {
  return {
    type: "task_started",
    turn_id: turnId,
    model_context_window: modelContextWindow,
    collaboration_mode_kind: collaborationMode,
  };
}

export function taskComplete(turnId: string, lastAgentMessage: string | null) {
  return { type: "task_complete", turn_id: turnId, last_agent_message: lastAgentMessage };
}

export function turnAborted(turnId: string, reason: "interrupted" | "replaced") {
  return { type: "turn_aborted", turn_id: turnId, reason };
}

/** `localImages`: paths of the image files attached to the message. */
export function userMessage(message: string, localImages: string[] = []) {
  return {
    type: "user_message",
    message,
    images: [],
    local_images: localImages,
    text_elements: [],
  };
}

export function agentMessage(message: string, phase: string | null) {
  return { type: "agent_message", message, phase };
}

export function agentReasoning(text: string) {
  return { type: "agent_reasoning", text };
}

export function tokenCount(info: TokenInfo | null) {
  return { type: "token_count", info, rate_limits: NO_RATE_LIMITS };
}

export function contextCompacted() {
  return { type: "context_compacted" };
}

const ZERO_USAGE: TokenUsage = {
  input_tokens: 0,
  cached_input_tokens: 0,
  output_tokens: 0,
  reasoning_output_tokens: 0,
  total_tokens: 0,
};

/** A Responses usage object in the rollout's naming. */
export function tokenUsage(usage: Usage): TokenUsage {
  return {
    input_tokens: usage.input_tokens,
    cached_input_tokens: usage.input_tokens_details?.cached_tokens ?? 0,
    output_tokens: usage.output_tokens,
    reasoning_output_tokens: usage.output_tokens_details?.reasoning_tokens ?? 0,
    total_tokens: usage.total_tokens,
  };
}

/** The session's token info after one more response: totals accumulate, `last` is replaced. */
export function addUsage(
  info: TokenInfo | null,
  usage: Usage,
  modelContextWindow: number | null,
): TokenInfo {
  const last = tokenUsage(usage);
  const total = info?.total_token_usage ?? ZERO_USAGE;
  return {
    total_token_usage: {
      input_tokens: total.input_tokens + last.input_tokens,
      cached_input_tokens: total.cached_input_tokens + last.cached_input_tokens,
      output_tokens: total.output_tokens + last.output_tokens,
      reasoning_output_tokens: total.reasoning_output_tokens + last.reasoning_output_tokens,
      total_tokens: total.total_tokens + last.total_tokens,
    },
    last_token_usage: last,
    model_context_window: modelContextWindow,
  };
}

/**
 * After a context-window overflow upstream marks the window as full: the total becomes the window
 * size, and `last` the part of it not yet counted.
 */
export function fillContextWindow(info: TokenInfo | null, window: number): TokenInfo {
  const counted = info?.total_token_usage.total_tokens ?? 0;
  return {
    total_token_usage: { ...ZERO_USAGE, total_tokens: window },
    last_token_usage: {
      ...ZERO_USAGE,
      total_tokens: info ? Math.max(window - counted, 0) : window,
    },
    model_context_window: window,
  };
}
