// `tscodex mcp …` (the MCP servers config.toml names) and `tscodex mcp-server` (tscodex as one).
// Only the command table lives here; each action loads its module when it runs.
import type { Command } from "commander";

export function registerMcpCommands(program: Command, setExit: (code: number) => void): void {
  program.command("mcp-server")
    .description("run tscodex as an MCP server over stdio (tools: codex, codex-reply)")
    .action(async () => {
      const { runMcpServer } = await import("./mcp_server.ts");
      setExit(await runMcpServer());
    });
}
