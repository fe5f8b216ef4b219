// The tool set the main agent declares, in upstream 0.115.0's order for gpt-5.1-codex under
// `codex exec`: [exec, exec_wait with code mode], exec_command, write_stdin, update_plan,
// request_user_input, [request_permissions], apply_patch, [the model's experimental tools],
// web_search, view_image, then the sub-agent tools (registered by the agent layer).
import { applyPatchFunctionTool, applyPatchTool } from "./apply_patch.ts";
import { execCommandTools } from "./exec_command.ts";
import { grepFilesTool } from "./grep_files.ts";
import { listDirTool } from "./list_dir.ts";
import type { ProcessManager } from "./processes.ts";
import { readFileTool } from "./read_file.ts";
import { type ToolDef, ToolRegistry } from "./registry.ts";
import { shellTools } from "./shell.ts";
import type { OutputBudget } from "./truncate.ts";
import { updatePlanTool } from "./update_plan.ts";
import { viewImageTool } from "./view_image.ts";
import { type WebSearchOptions, webSearchTool } from "./web_search.ts";
import { type RequestUserInputOptions, requestUserInputTool } from "./request_user_input.ts";
import { type RequestPermissionsOptions, requestPermissionsTool } from "./request_permissions.ts";
import { type CodeCells, codeModeTools } from "./code_mode/mod.ts";

/** Tools a model family may opt into (upstream's `experimental_supported_tools`). */
export type ExperimentalTool = "grep_files" | "read_file" | "list_dir";

export interface DefaultToolsOptions {
  /** exec_command/write_stdin (the default); false declares the one-shot `shellType` tool. */
  unifiedExec?: boolean;
  /** The one-shot command tool when unified exec is off: upstream's model `shell_type`. */
  shellType?: "shell_command" | "shell";
  /** The apply_patch tool's form; false leaves it out (as for models without one). */
  applyPatch?: "freeform" | "function" | false;
  /** Where apply_patch keeps its journals (see patch_commit.ts); a per-user temp folder if unset. */
  patchJournal?: string;
  experimentalTools?: readonly ExperimentalTool[];
  /** Web search options, or false to leave the tool out. */
  webSearch?: WebSearchOptions | false;
  /** The model's budget for one tool output (its truncation policy). */
  outputBudget?: OutputBudget;
  /**
   * request_user_input's mode and answerer; without them it is declared and unavailable (as in
   * exec, which has no Plan mode); false leaves it out (sub-agents).
   */
  userInput?: RequestUserInputOptions | false;
  /** request_permissions (upstream's `request_permissions_tool` feature); absent leaves it out. */
  requestPermissions?: RequestPermissionsOptions;
  /** Code mode (upstream's `code_mode` feature): exec and exec_wait over these cells, first. */
  codeMode?: CodeCells;
  /** Declared right after the command tools (the MCP resource tools sit there upstream). */
  afterCommands?: ToolDef[];
}

const UNAVAILABLE_EVERYWHERE: RequestUserInputOptions = {
  mode: () => ({ name: "Default", allowsUserInput: false }),
};

/** Upstream declares the experimental tools in this order whatever order the model lists. */
const EXPERIMENTAL_ORDER: Array<[ExperimentalTool, () => ToolDef]> = [
  ["grep_files", () => grepFilesTool()],
  ["read_file", readFileTool],
  ["list_dir", listDirTool],
];

export function defaultTools(
  processes: ProcessManager,
  options: DefaultToolsOptions = {},
): ToolRegistry {
  const commands = options.unifiedExec === false
    ? shellTools(processes, { journalDir: options.patchJournal })
      .filter((tool) => tool.name === (options.shellType ?? "shell_command"))
    : execCommandTools(processes, { journalDir: options.patchJournal });
  const experimental = new Set(options.experimentalTools ?? []);
  const userInput = options.userInput ?? UNAVAILABLE_EVERYWHERE;
  // The sub-agent tools follow view_image; the agent layer registers them (SubAgentManager).
  // Code mode's nested calls see the registry as it is when they run, those tools included.
  const codeMode: ToolDef[] = options.codeMode
    ? codeModeTools(options.codeMode, (): ToolRegistry => registry)
    : [];
  const registry: ToolRegistry = new ToolRegistry([
    ...codeMode,
    ...commands,
    ...(options.afterCommands ?? []),
    updatePlanTool(),
    ...(userInput === false ? [] : [requestUserInputTool(userInput)]),
    ...(options.requestPermissions ? [requestPermissionsTool(options.requestPermissions)] : []),
    ...(options.applyPatch === false ? [] : [
      (options.applyPatch === "function" ? applyPatchFunctionTool : applyPatchTool)({
        journalDir: options.patchJournal,
      }),
    ]),
    ...EXPERIMENTAL_ORDER.filter(([name]) => experimental.has(name)).map(([, make]) => make()),
    ...(options.webSearch === false ? [] : [webSearchTool(options.webSearch)]),
    viewImageTool(),
  ], { outputBudget: options.outputBudget });
  return registry;
}
