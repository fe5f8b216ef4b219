// `tscodex mcp list|get|add|remove`: the MCP servers of CODEX_HOME/config.toml, shown and edited
// as upstream's `codex mcp` does (same tables, same JSON, same lines), the rest of the file kept.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import {
  codexHome,
  ConfigError,
  type McpServerConfig,
  readMcpServers,
  replaceMcpServers,
  writeConfigFile,
} from "../config/mod.ts";
import { EXIT_OK, UsageError } from "./exec.ts";

const SERVER_NAME = /^[A-Za-z0-9_-]+$/;

function configFile(): string {
  return join(codexHome(), "config.toml");
}

function byName(servers: McpServerConfig[]): McpServerConfig[] {
  return [...servers].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** `A=*****, B=*****`: names shown, values never (they are often credentials). */
function masked(env: Record<string, string> | undefined, extra: string[] = []): string {
  const names = [...Object.keys(env ?? {}).sort(), ...extra];
  return names.length ? names.map((name) => `${name}=*****`).join(", ") : "-";
}

/** A float marker for JSON: upstream's seconds are floats (`5.0`), JavaScript's are not. */
const FLOAT = "\u0000float:";

function floatSeconds(value: number | undefined): unknown {
  if (value === undefined) return null;
  return Number.isInteger(value) ? `${FLOAT}${value}.0` : value;
}

function json(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(/"\\u0000float:([^"]+)"/g, "$1");
}

function transportJson(server: McpServerConfig, sortEnv: boolean): Record<string, unknown> {
  const t = server.transport;
  if (t.type === "stdio") {
    const env = t.env && sortEnv
      ? Object.fromEntries(Object.keys(t.env).sort().map((k) => [k, t.env![k]]))
      : t.env;
    return {
      type: "stdio",
      command: t.command,
      args: t.args,
      env: env ?? null,
      env_vars: t.envVars,
      cwd: t.cwd ?? null,
    };
  }
  return {
    type: "streamable_http",
    url: t.url,
    bearer_token_env_var: t.bearerTokenEnvVar ?? null,
    http_headers: t.httpHeaders ?? null,
    env_http_headers: t.envHttpHeaders ?? null,
  };
}

function authStatus(server: McpServerConfig): { json: string; text: string } {
  return server.transport.type === "streamable_http" && server.transport.bearerTokenEnvVar
    ? { json: "bearer_token", text: "Bearer token" }
    : { json: "unsupported", text: "Unsupported" };
}

/** Columns padded to their widest cell, two spaces apart, as upstream prints them. */
function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i])).join("  ")).join("\n") +
    "\n";
}

export function runMcpList(options: { json?: boolean }): number {
  const servers = byName(readMcpServers(configFile()).servers);
  if (options.json) {
    process.stdout.write(
      json(servers.map((server) => ({
        name: server.name,
        enabled: server.enabled,
        disabled_reason: null,
        transport: transportJson(server, true),
        startup_timeout_sec: floatSeconds(server.startupTimeoutSec),
        tool_timeout_sec: floatSeconds(server.toolTimeoutSec),
        auth_status: authStatus(server).json,
      }))) + "\n",
    );
    return EXIT_OK;
  }
  if (servers.length === 0) {
    process.stdout.write(
      "No MCP servers configured yet. Try `tscodex mcp add my-tool -- my-command`.\n",
    );
    return EXIT_OK;
  }
  const status = (server: McpServerConfig) => server.enabled ? "enabled" : "disabled";
  const stdio = servers.flatMap((server) => {
    const t = server.transport;
    if (t.type !== "stdio") return [];
    return [[
      server.name,
      t.command,
      t.args.length ? t.args.join(" ") : "-",
      masked(t.env, t.envVars),
      t.cwd ?? "-",
      status(server),
      authStatus(server).text,
    ]];
  });
  const http = servers.flatMap((server) => {
    const t = server.transport;
    if (t.type !== "streamable_http") return [];
    return [[
      server.name,
      t.url,
      t.bearerTokenEnvVar ?? "-",
      status(server),
      authStatus(server).text,
    ]];
  });
  const parts: string[] = [];
  if (stdio.length) {
    parts.push(table([["Name", "Command", "Args", "Env", "Cwd", "Status", "Auth"], ...stdio]));
  }
  if (http.length) {
    parts.push(table([["Name", "Url", "Bearer Token Env Var", "Status", "Auth"], ...http]));
  }
  process.stdout.write(parts.join("\n"));
  return EXIT_OK;
}

export function runMcpGet(name: string, options: { json?: boolean }): number {
  const server = readMcpServers(configFile()).servers.find((s) => s.name === name);
  if (!server) throw new ConfigError(`No MCP server named '${name}' found.`);
  if (options.json) {
    process.stdout.write(
      json({
        name: server.name,
        enabled: server.enabled,
        disabled_reason: null,
        transport: transportJson(server, false),
        enabled_tools: server.enabledTools ?? null,
        disabled_tools: server.disabledTools ?? null,
        startup_timeout_sec: floatSeconds(server.startupTimeoutSec),
        tool_timeout_sec: floatSeconds(server.toolTimeoutSec),
      }) + "\n",
    );
    return EXIT_OK;
  }
  if (!server.enabled) {
    process.stdout.write(`${name} (disabled)\n`);
    return EXIT_OK;
  }
  const lines = [name, "  enabled: true"];
  const t = server.transport;
  if (t.type === "stdio") {
    lines.push(
      "  transport: stdio",
      `  command: ${t.command}`,
      `  args: ${t.args.length ? t.args.join(" ") : "-"}`,
      `  cwd: ${t.cwd ?? "-"}`,
      `  env: ${masked(t.env, t.envVars)}`,
    );
  } else {
    const pairs = (map: Record<string, string> | undefined, show: (v: string) => string) => {
      const keys = Object.keys(map ?? {}).sort();
      return keys.length ? keys.map((k) => `${k}=${show(map![k])}`).join(", ") : "-";
    };
    lines.push(
      "  transport: streamable_http",
      `  url: ${t.url}`,
      `  bearer_token_env_var: ${t.bearerTokenEnvVar ?? "-"}`,
      `  http_headers: ${pairs(t.httpHeaders, () => "*****")}`,
      `  env_http_headers: ${pairs(t.envHttpHeaders, (v) => v)}`,
    );
  }
  if (server.startupTimeoutSec !== undefined) {
    lines.push(`  startup_timeout_sec: ${server.startupTimeoutSec}`);
  }
  if (server.toolTimeoutSec !== undefined) {
    lines.push(`  tool_timeout_sec: ${server.toolTimeoutSec}`);
  }
  lines.push(`  remove: tscodex mcp remove ${name}`);
  process.stdout.write(lines.join("\n") + "\n");
  return EXIT_OK;
}

export interface McpAddOptions {
  url?: string;
  env?: string[];
  bearerTokenEnvVar?: string;
}

export function runMcpAdd(name: string, command: string[], options: McpAddOptions): number {
  if (!SERVER_NAME.test(name)) {
    throw new UsageError(`invalid server name '${name}' (use letters, numbers, '-', '_')`);
  }
  if (options.url !== undefined && command.length) {
    throw new UsageError("give either --url <URL> or -- <COMMAND>..., not both");
  }
  if (options.url === undefined && !command.length) {
    throw new UsageError(
      "say how to reach the server: --url <URL> for streamable HTTP, or -- <COMMAND>... for stdio",
    );
  }
  if (options.url !== undefined && options.env?.length) {
    throw new UsageError("--env only applies to servers started with a command (stdio)");
  }
  if (options.url === undefined && options.bearerTokenEnvVar !== undefined) {
    throw new UsageError("--bearer-token-env-var only applies to --url servers");
  }
  const env: Record<string, string> = {};
  for (const entry of options.env ?? []) {
    const at = entry.indexOf("=");
    if (at <= 0) {
      throw new UsageError(`--env ${entry}: environment entries must be in KEY=VALUE form`);
    }
    env[entry.slice(0, at).trim()] = entry.slice(at + 1);
  }
  if (options.url !== undefined && !/^https?:\/\//.test(options.url)) {
    throw new UsageError(`--url ${options.url}: expected an http(s) URL`);
  }
  const server: McpServerConfig = {
    name,
    transport: options.url !== undefined
      ? { type: "streamable_http", url: options.url, bearerTokenEnvVar: options.bearerTokenEnvVar }
      : {
        type: "stdio",
        command: command[0],
        args: command.slice(1),
        env: Object.keys(env).length ? env : undefined,
        envVars: [],
      },
    enabled: true,
  };
  const file = configFile();
  const { source, servers } = readMcpServers(file);
  const at = servers.findIndex((s) => s.name === name);
  const next = at < 0 ? [...servers, server] : servers.map((s, i) => (i === at ? server : s));
  mkdirSync(codexHome(), { recursive: true });
  writeConfigFile(file, replaceMcpServers(source, next));
  process.stdout.write(`Added global MCP server '${name}'.\n`);
  return EXIT_OK;
}

export function runMcpRemove(name: string): number {
  const file = configFile();
  const { source, servers } = readMcpServers(file);
  if (!servers.some((s) => s.name === name)) {
    process.stdout.write(`No MCP server named '${name}' found.\n`);
    return EXIT_OK;
  }
  writeConfigFile(file, replaceMcpServers(source, servers.filter((s) => s.name !== name)));
  process.stdout.write(`Removed global MCP server '${name}'.\n`);
  return EXIT_OK;
}
