import { execCommandTools } from "./exec_command.ts";
import type { ProcessManager } from "./processes.ts";
import { ToolRegistry } from "./registry.ts";

/** The tool set of the main agent. */
export function defaultTools(processes: ProcessManager): ToolRegistry {
  return new ToolRegistry([...execCommandTools(processes)]);
}
