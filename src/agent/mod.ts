export { Agent, type AgentEvent, type AgentOptions, TurnInterruptedError } from "./agent.ts";
export {
  COLLABORATION_MODES,
  CollaborationMode,
  type CollaborationModeKind,
  collaborationModeText,
} from "./collaboration.ts";
export { realUserTexts } from "./compact.ts";
export {
  type ApprovalPolicy,
  contextMessage,
  type ContextOptions,
  type EnvironmentFacts,
  environmentFacts,
  initialContext,
  modelSwitchText,
  type SandboxMode,
  settingsUpdateContext,
  userInstructions,
} from "./context.ts";
export {
  baseInstructions,
  type DeclaredTools,
  type InstructionsOptions,
} from "./base_instructions.ts";
export {
  REVIEW_EMPTY_RESULT,
  REVIEW_INSTRUCTIONS,
  type ReviewRequest,
  reviewRequestText,
  reviewResultText,
} from "./prompts.ts";
export { SubmissionQueue } from "./queue.ts";
export { rolloutListener } from "./rollout.ts";
export { discoverSkills } from "./skills.ts";
export {
  type ChildRecordStart,
  SUBAGENT_HEADER,
  SubAgentManager,
  type SubAgentManagerOptions,
} from "./subagents.ts";
export { installSystemSkills } from "./system_skills.ts";
