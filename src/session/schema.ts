// Rollout lines as zod schemas: `{"timestamp","type","payload"}` with the payloads upstream Codex
// 0.115.0 writes. Loose objects throughout, because newer writers (0.169.0 adds `ordinal`,
// `metadata`, ids and timing fields) must still read; only what resume relies on is required.
import { z } from "zod";
import { ResponseItem } from "../protocol/mod.ts";

export const RolloutLine = z.looseObject({
  timestamp: z.string(),
  type: z.string(),
  payload: z.unknown(),
});
export type RolloutLine = z.infer<typeof RolloutLine>;

export const GitInfo = z.looseObject({
  commit_hash: z.string().nullish(),
  branch: z.string().nullish(),
  repository_url: z.string().nullish(),
});
export type GitInfo = z.infer<typeof GitInfo>;

export const SessionMeta = z.looseObject({
  id: z.string(),
  timestamp: z.string(),
  cwd: z.string(),
  originator: z.string().nullish(),
  cli_version: z.string().nullish(),
  /** "exec", "cli", "vscode", "mcp", or an object for sub-agents. */
  source: z.unknown().optional(),
  model_provider: z.string().nullish(),
  base_instructions: z.looseObject({ text: z.string() }).nullish(),
  git: GitInfo.nullish(),
});
export type SessionMeta = z.infer<typeof SessionMeta>;

export const TruncationPolicy = z.looseObject({ mode: z.string(), limit: z.number() });

export const CollaborationMode = z.looseObject({
  mode: z.string(),
  settings: z.looseObject({
    model: z.string().nullish(),
    reasoning_effort: z.string().nullish(),
    developer_instructions: z.string().nullish(),
  }),
});

export const TurnContext = z.looseObject({
  turn_id: z.string().nullish(),
  cwd: z.string(),
  current_date: z.string().nullish(),
  timezone: z.string().nullish(),
  approval_policy: z.unknown(),
  sandbox_policy: z.unknown(),
  model: z.string(),
  personality: z.string().nullish(),
  collaboration_mode: CollaborationMode.nullish(),
  realtime_active: z.boolean().nullish(),
  effort: z.string().nullish(),
  summary: z.unknown(),
  user_instructions: z.string().nullish(),
  truncation_policy: TruncationPolicy.nullish(),
});
export type TurnContext = z.infer<typeof TurnContext>;

export const Compacted = z.looseObject({
  /** The summary text; the only field of rollouts older than replacement histories. */
  message: z.string().default(""),
  replacement_history: z.array(ResponseItem).nullish(),
});
export type Compacted = z.infer<typeof Compacted>;

export const TokenUsage = z.looseObject({
  input_tokens: z.number(),
  cached_input_tokens: z.number(),
  output_tokens: z.number(),
  reasoning_output_tokens: z.number(),
  total_tokens: z.number(),
});
export type TokenUsage = z.infer<typeof TokenUsage>;

export const TokenInfo = z.looseObject({
  total_token_usage: TokenUsage,
  last_token_usage: TokenUsage,
  model_context_window: z.number().nullish(),
});
export type TokenInfo = z.infer<typeof TokenInfo>;

function eventMsg<const T extends string, S extends z.ZodRawShape>(type: T, shape: S) {
  return z.looseObject({ type: z.literal(type), ...shape });
}

/** The `event_msg` payloads resume and listing read; any other event type is skipped. */
export const KnownEventMsg = z.discriminatedUnion("type", [
  eventMsg("task_started", { turn_id: z.string().nullish() }),
  eventMsg("task_complete", {
    turn_id: z.string().nullish(),
    last_agent_message: z.string().nullish(),
  }),
  eventMsg("turn_aborted", { turn_id: z.string().nullish(), reason: z.string().nullish() }),
  eventMsg("user_message", { message: z.string() }),
  eventMsg("agent_message", { message: z.string(), phase: z.string().nullish() }),
  eventMsg("agent_reasoning", { text: z.string() }),
  eventMsg("token_count", { info: TokenInfo.nullish() }),
  eventMsg("context_compacted", {}),
  eventMsg("thread_rolled_back", { num_turns: z.number().int().min(0) }),
]);
export type KnownEventMsg = z.infer<typeof KnownEventMsg>;

const KNOWN_EVENT_TYPES: ReadonlySet<string> = new Set(
  KnownEventMsg.options.map((o) => o.shape.type.value),
);

export function isKnownEventType(type: unknown): boolean {
  return typeof type === "string" && KNOWN_EVENT_TYPES.has(type);
}

/** A line after validation: the five line types upstream 0.115.0 writes. */
export type RolloutEntry =
  | { timestamp: string; type: "session_meta"; payload: SessionMeta }
  | { timestamp: string; type: "response_item"; payload: ResponseItem }
  | { timestamp: string; type: "event_msg"; payload: KnownEventMsg }
  | { timestamp: string; type: "turn_context"; payload: TurnContext }
  | { timestamp: string; type: "compacted"; payload: Compacted };

export type RolloutLineType = RolloutEntry["type"];

const PAYLOADS: Record<RolloutLineType, z.ZodType> = {
  session_meta: SessionMeta,
  response_item: ResponseItem,
  event_msg: KnownEventMsg,
  turn_context: TurnContext,
  compacted: Compacted,
};

export type LineVerdict =
  | { kind: "entry"; entry: RolloutEntry }
  /** A line type or event type this reader does not use (e.g. 0.169.0's `world_state`). */
  | { kind: "ignored"; type: string }
  | { kind: "invalid"; reason: string };

/** Validates one parsed JSON value as a rollout line. */
export function classifyLine(value: unknown): LineVerdict {
  const line = RolloutLine.safeParse(value);
  if (!line.success) return { kind: "invalid", reason: "not a {timestamp, type, payload} line" };
  const { timestamp, type, payload } = line.data;
  const schema = PAYLOADS[type as RolloutLineType];
  if (!schema) return { kind: "ignored", type };
  if (type === "event_msg" && !isKnownEventType((payload as { type?: unknown })?.type)) {
    return { kind: "ignored", type: `event_msg/${(payload as { type?: unknown })?.type}` };
  }
  const parsed = schema.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      kind: "invalid",
      reason: `${type} payload at ${issue.path.join(".") || "(root)"}: ${issue.message}`,
    };
  }
  // The validated value is not used: zod rebuilds objects in schema key order, and items must
  // keep the order they were written in (requests replay them verbatim).
  const kept = type === "compacted" ? { message: "", ...(payload as object) } : payload;
  return { kind: "entry", entry: { timestamp, type, payload: kept } as RolloutEntry };
}
