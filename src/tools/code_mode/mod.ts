// Code mode: the `exec` and `exec_wait` tools over a session's code cells.
import type { ToolDef, ToolRegistry } from "../registry.ts";
import type { CodeCells } from "./cells.ts";
import { execTool } from "./exec_tool.ts";
import { execWaitTool } from "./exec_wait_tool.ts";

export { CODE_CELL_SUBCOMMAND, CodeCells, type CodeModeOptions } from "./cells.ts";
export { DEFAULT_CELL_YIELD_MS } from "./exec_tool.ts";
export { runCodeCell } from "./runtime.ts";

/** exec and exec_wait; nested calls go to whatever `registry()` holds when they are made. */
export function codeModeTools(cells: CodeCells, registry: () => ToolRegistry): ToolDef[] {
  return [execTool(cells, registry), execWaitTool(cells)];
}
