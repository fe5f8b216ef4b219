export * from "./agent.ts";
export * from "./history.ts";
export * from "./context.ts";
export * from "./queue.ts";
export * from "./compact.ts";
export * from "./rollout.ts";
export * from "./skills.ts";
export * from "./system_skills.ts";
export * from "./collaboration.ts";
export * from "./subagents.ts";
export {
  REVIEW_EMPTY_RESULT,
  REVIEW_INSTRUCTIONS,
  type ReviewRequest,
  reviewRequestText,
  reviewResultText,
} from "./prompts.ts";
