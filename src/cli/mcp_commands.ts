// `tscodex mcp …` (the MCP servers config.toml names) and `tscodex mcp-server` (tscodex as one).
// Only the command table lives here; each action loads its module when it runs.
import type { Command } from "commander";

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerMcpCommands(program: Command, setExit: (code: number) => void): void {
  const mcp = program.command("mcp")
    .description("list, show, add and remove the MCP servers of config.toml");
  mcp.command("list")
    .description("list the configured MCP servers")
    .option("--json", "print them as JSON")
    .action(async (opts) => {
      const { runMcpList } = await import("./mcp.ts");
      setExit(runMcpList(opts));
    });
  mcp.command("get")
    .description("show one configured MCP server")
    .argument("<name>", "the server's name")
    .option("--json", "print it as JSON")
    .action(async (name: string, opts) => {
      const { runMcpGet } = await import("./mcp.ts");
      setExit(runMcpGet(name, opts));
    });
  mcp.command("add")
    .description("add (or replace) an MCP server: --url <URL>, or -- <COMMAND>...")
    .argument("<name>", "a name of letters, digits, - and _")
    .argument("[command...]", "the command that starts a stdio server (after --)")
    .option("--url <url>", "the URL of a streamable HTTP server")
    .option("--env <KEY=VALUE>", "a variable for a stdio server (repeatable)", collect)
    .option("--bearer-token-env-var <name>", "the variable holding the bearer token (--url)")
    .action(async (name: string, command: string[], opts) => {
      const { runMcpAdd } = await import("./mcp.ts");
      setExit(runMcpAdd(name, command, opts));
    });
  mcp.command("remove")
    .description("remove an MCP server")
    .argument("<name>", "the server's name")
    .action(async (name: string) => {
      const { runMcpRemove } = await import("./mcp.ts");
      setExit(runMcpRemove(name));
    });

  program.command("mcp-server")
    .description("run tscodex as an MCP server over stdio (tools: codex, codex-reply)")
    .action(async () => {
      const { runMcpServer } = await import("./mcp_server.ts");
      setExit(await runMcpServer());
    });
}
