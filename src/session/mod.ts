export { gitInfo, gitInfoOf } from "./git_info.ts";
export {
  addUsage,
  agentMessage,
  agentReasoning,
  contextCompacted,
  fillContextWindow,
  taskComplete,
  taskStarted,
  tokenCount,
  turnAborted,
  turnContextPayload,
  type TurnSettings,
  userMessage,
} from "./lines.ts";
export { listRolloutFiles } from "./paths.ts";
export { parseRollout, rolloutDamage, RolloutReadError } from "./reader.ts";
export { rebuildSession } from "./rebuild.ts";
export { RolloutRecorder } from "./recorder.ts";
export { TokenInfo } from "./schema.ts";
export {
  type CreatedSession,
  createSession,
  type CreateSessionOptions,
  listSessions,
  nameSession,
  type OpenedSession,
  openSession,
  SessionNotFoundError,
  type SessionSummary,
  type SessionTarget,
} from "./store.ts";
