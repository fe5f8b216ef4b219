export * from "./registry.ts";
export * from "./truncate.ts";
export { ProcessManager } from "./processes.ts";
export { execCommandTools, formatExecOutput } from "./exec_command.ts";
export { defaultTools } from "./defaults.ts";
