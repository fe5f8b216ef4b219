export * from "./registry.ts";
export * from "./truncate.ts";
export { ProcessManager } from "./processes.ts";
export { execCommandTools, formatExecOutput } from "./exec_command.ts";
export { shellTools } from "./shell.ts";
export { applyPatchFunctionTool, applyPatchTool, runApplyPatch } from "./apply_patch.ts";
export { readFileTool } from "./read_file.ts";
export { listDirTool } from "./list_dir.ts";
export { grepFilesTool } from "./grep_files.ts";
export { viewImageTool } from "./view_image.ts";
export { updatePlanTool } from "./update_plan.ts";
export { webSearchTool } from "./web_search.ts";
export { type JsonSchema, upstreamJsonSchema } from "./json_schema.ts";
export { defaultTools, type DefaultToolsOptions, type ExperimentalTool } from "./defaults.ts";
export * from "./request_user_input.ts";
export * from "./request_permissions.ts";
export * from "./agent_tools.ts";
export { CODE_CELL_SUBCOMMAND, CodeCells, codeModeTools, runCodeCell } from "./code_mode/mod.ts";
export {
  type ApprovalDecision,
  type ApprovalHandler,
  type ApprovalRequest,
  CommandApprovals,
} from "./approvals.ts";
export {
  canWrite,
  sandboxedArgv,
  type SandboxPolicy,
  sandboxSupport,
  SandboxUnavailableError,
  writableRoots,
} from "./sandbox.ts";
