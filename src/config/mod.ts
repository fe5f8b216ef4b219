export { ConfigError, looksSecret } from "./errors.ts";
export { featureOverrides } from "./features.ts";
export { loadCodexDotenv } from "./dotenv.ts";
export { codexHome } from "./home.ts";
export { type Config, loadConfig } from "./load.ts";
export type { McpServerConfig } from "./mcp_servers.ts";
export { readMcpServers, replaceMcpServers, writeConfigFile } from "./mcp_edit.ts";
export {
  ApprovalPolicy,
  Personality,
  ReasoningEffort,
  ReasoningSummary,
  SandboxMode,
  Verbosity,
} from "./schema.ts";
export { Secret } from "./secret.ts";
export {
  type ShellEnvironmentPolicy,
  shellEnvironmentPolicy,
  type ShellEnvironmentPolicyToml,
} from "./shell_environment.ts";
export { projectTrust } from "./trust.ts";
