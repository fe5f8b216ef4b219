export {
  type AgentInput,
  agentNotFound,
  type AgentStatus,
  AgentToolError,
  type SpawnRequest,
  type SubAgentControl,
  subAgentTools,
} from "./agent_tools.ts";
export { applyPatchFunctionTool, applyPatchTool, runApplyPatch } from "./apply_patch.ts";
export {
  type ApprovalDecision,
  type ApprovalHandler,
  type ApprovalRequest,
  CommandApprovals,
} from "./approvals.ts";
export {
  CODE_CELL_SUBCOMMAND,
  CodeCells,
  codeModeTools,
  DEFAULT_CELL_YIELD_MS,
  runCodeCell,
} from "./code_mode/mod.ts";
export { defaultTools, type DefaultToolsOptions, type ExperimentalTool } from "./defaults.ts";
export { execCommandTools, formatExecOutput } from "./exec_command.ts";
export { grepFilesTool } from "./grep_files.ts";
export { type JsonSchema, upstreamJsonSchema } from "./json_schema.ts";
export { checkJsonSyntax, JsonSyntaxError } from "./json_syntax.ts";
export { listDirTool } from "./list_dir.ts";
export {
  journalFolders,
  PATCH_JOURNAL_FOLDER,
  type RecoveredPatch,
  recoverInterruptedPatches,
} from "./patch_commit.ts";
export { defaultShell, ProcessManager, resolveShell, shellArgv } from "./processes.ts";
export { readFileTool } from "./read_file.ts";
export {
  type CollabCall,
  type CommandMetadata,
  defineFunctionTool,
  type ToolContext,
  type ToolDef,
  type ToolEvent,
  type ToolMetadata,
  type ToolOutputItem,
  ToolRegistry,
} from "./registry.ts";
export {
  type PermissionGrant,
  PermissionGrants,
  type PermissionsHandler,
} from "./request_permissions.ts";
export type { UserInputAnswers, UserInputHandler, UserInputRequest } from "./request_user_input.ts";
export {
  canWrite,
  sandboxedArgv,
  type SandboxPolicy,
  sandboxSupport,
  SandboxUnavailableError,
  writableRoots,
} from "./sandbox.ts";
export { shellTools } from "./shell.ts";
export { shellJoin } from "./shell_words.ts";
export { approxTokenCount, truncateMiddle } from "./truncate.ts";
export { updatePlanTool } from "./update_plan.ts";
export { MAX_IMAGE_BYTES, viewImageTool } from "./view_image.ts";
export { webSearchTool } from "./web_search.ts";
