export { McpManager, type McpManagerOptions, type McpStartupEvent } from "./manager.ts";
export {
  DEFAULT_STARTUP_TIMEOUT_SEC,
  DEFAULT_TOOL_TIMEOUT_SEC,
  McpCallError,
  McpConnection,
} from "./connection.ts";
export { qualifyTools, SERVER_NAME } from "./names.ts";
export { toolParameters } from "./schema.ts";
export { contentBlock, modelOutput } from "./results.ts";
export { Client, McpServer, StdioClientTransport, StdioServerTransport } from "./sdk.ts";
