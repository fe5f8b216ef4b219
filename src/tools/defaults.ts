// The tool set the main agent declares, in upstream 0.115.0's order for gpt-5.1-codex under
// `codex exec`: exec_command, write_stdin, update_plan, request_user_input, apply_patch, [the
// model's experimental tools], web_search, view_image, then the sub-agent tools. Tools upstream
// declares that are not implemented yet are left out rather than declared and faked.
import { applyPatchFunctionTool, applyPatchTool } from "./apply_patch.ts";
import { execCommandTools } from "./exec_command.ts";
import { grepFilesTool } from "./grep_files.ts";
import { listDirTool } from "./list_dir.ts";
import type { ProcessManager } from "./processes.ts";
import { readFileTool } from "./read_file.ts";
import { type ToolDef, ToolRegistry } from "./registry.ts";
import { shellTools } from "./shell.ts";
import { updatePlanTool } from "./update_plan.ts";
import { viewImageTool } from "./view_image.ts";
import { type WebSearchOptions, webSearchTool } from "./web_search.ts";

/** Tools a model family may opt into (upstream's `experimental_supported_tools`). */
export type ExperimentalTool = "grep_files" | "read_file" | "list_dir";

export interface DefaultToolsOptions {
  /** exec_command/write_stdin (the default); false declares the one-shot `shellType` tool. */
  unifiedExec?: boolean;
  /** The one-shot command tool when unified exec is off: upstream's model `shell_type`. */
  shellType?: "shell_command" | "shell";
  applyPatch?: "freeform" | "function";
  experimentalTools?: readonly ExperimentalTool[];
  /** Web search options, or false to leave the tool out. */
  webSearch?: WebSearchOptions | false;
  /** Token budget for one tool output (upstream `tool_output_token_limit`). */
  outputTokenLimit?: number;
}

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
    ? shellTools(processes).filter((tool) => tool.name === (options.shellType ?? "shell_command"))
    : execCommandTools(processes);
  const experimental = new Set(options.experimentalTools ?? []);
  // TODO(#5/#8): request_user_input after update_plan; the sub-agent tools (spawn_agent,
  // send_input, resume_agent, wait_agent, close_agent) after view_image.
  return new ToolRegistry([
    ...commands,
    updatePlanTool(),
    options.applyPatch === "function" ? applyPatchFunctionTool() : applyPatchTool(),
    ...EXPERIMENTAL_ORDER.filter(([name]) => experimental.has(name)).map(([, make]) => make()),
    ...(options.webSearch === false ? [] : [webSearchTool(options.webSearch)]),
    viewImageTool(),
  ], { outputTokenLimit: options.outputTokenLimit });
}
