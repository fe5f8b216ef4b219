// Opening a session: its MCP servers, all started at once and early, so they come up while the
// rest of the session opens; the first turn waits until each is ready or has failed. The SDK is
// loaded only when config.toml names an enabled server.
import type { Config } from "../../config/mod.ts";
import type { McpManager } from "../../mcp/mod.ts";
import type { ToolDef } from "../../tools/mod.ts";
import { VERSION } from "../version.ts";
import type { AgentSessionOptions } from "./options.ts";

export interface SessionMcp {
  manager: McpManager;
  /** list_mcp_resources and its kin, declared after the command tools as upstream does. */
  resourceTools: ToolDef[];
  /** The servers' tools, once every server has settled (a failed one offers none). */
  tools: Promise<ToolDef[]>;
}

export async function startMcpServers(
  options: AgentSessionOptions,
  config: Config,
): Promise<SessionMcp | undefined> {
  // A thread with a fixed tool set (a review's) has no use for them.
  if (options.onlyTools || !config.mcpServers.some((server) => server.enabled)) return undefined;
  const { McpManager } = await import("../../mcp/mod.ts");
  const manager = new McpManager(config.mcpServers, { clientVersion: VERSION });
  return {
    manager,
    resourceTools: manager.resourceTools(),
    tools: manager.toolDefs(),
  };
}
