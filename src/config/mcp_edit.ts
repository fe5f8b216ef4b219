// Rewrites the `[mcp_servers]` of a config.toml as upstream's `codex mcp add/remove` does: every
// server written again in one block (in file order, a new one last), each as
// `[mcp_servers.<name>]` with its maps as sub-tables, at the place of the first server's table (or
// at the end). The rest of the file — comments, layout, other tables — stays as it was. When the
// servers are spelled some other way (inline or dotted keys), the whole file is written again
// from its parsed form rather than risk a wrong splice; the result is checked either way.
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { isDeepStrictEqual } from "node:util";
import { parse, stringify } from "smol-toml";
import { ConfigError, describeIssue } from "./errors.ts";
import { type McpServerConfig, mcpServers, McpServerToml } from "./mcp_servers.ts";

type Table = Record<string, unknown>;

function key(name: string): string {
  return /^[A-Za-z0-9_-]+$/.test(name) ? name : JSON.stringify(name);
}

function text(value: string): string {
  // A JSON string is a TOML basic string, but for DEL, which TOML wants escaped.
  return JSON.stringify(value).replaceAll("\x7f", "\\u007f");
}

function list(values: string[]): string {
  return `[${values.map(text).join(", ")}]`;
}

/** Seconds as upstream writes them: always a float (`5.0`). */
function seconds(value: number): string {
  return Number.isInteger(value) ? `${value}.0` : String(value);
}

/** One server's tables, keys in upstream's order, maps as sorted sub-tables. */
export function serverToml(server: McpServerConfig): string {
  const lines: string[] = [];
  const maps: Array<[string, Record<string, string>]> = [];
  const t = server.transport;
  if (t.type === "stdio") {
    lines.push(`command = ${text(t.command)}`);
    if (t.args.length) lines.push(`args = ${list(t.args)}`);
    if (t.env && Object.keys(t.env).length) maps.push(["env", t.env]);
    if (t.envVars.length) lines.push(`env_vars = ${list(t.envVars)}`);
    if (t.cwd !== undefined) lines.push(`cwd = ${text(t.cwd)}`);
  } else {
    lines.push(`url = ${text(t.url)}`);
    if (t.bearerTokenEnvVar !== undefined) {
      lines.push(`bearer_token_env_var = ${text(t.bearerTokenEnvVar)}`);
    }
    if (t.httpHeaders && Object.keys(t.httpHeaders).length) {
      maps.push(["http_headers", t.httpHeaders]);
    }
    if (t.envHttpHeaders && Object.keys(t.envHttpHeaders).length) {
      maps.push(["env_http_headers", t.envHttpHeaders]);
    }
  }
  if (!server.enabled) lines.push("enabled = false");
  if (server.startupTimeoutSec !== undefined) {
    lines.push(`startup_timeout_sec = ${seconds(server.startupTimeoutSec)}`);
  }
  if (server.toolTimeoutSec !== undefined) {
    lines.push(`tool_timeout_sec = ${seconds(server.toolTimeoutSec)}`);
  }
  if (server.enabledTools?.length) lines.push(`enabled_tools = ${list(server.enabledTools)}`);
  if (server.disabledTools?.length) lines.push(`disabled_tools = ${list(server.disabledTools)}`);
  const header = `mcp_servers.${key(server.name)}`;
  const blocks = [`[${header}]\n${lines.join("\n")}\n`];
  for (const [name, map] of maps) {
    const entries = Object.keys(map).sort().map((k) => `${key(k)} = ${text(map[k])}`);
    blocks.push(`[${header}.${name}]\n${entries.join("\n")}\n`);
  }
  return blocks.join("\n");
}

/** A `[mcp_servers…]` or `[[mcp_servers…]]` header line. */
const MCP_HEADER = /^\s*\[\[?\s*mcp_servers\s*[.\]]/;
const ANY_HEADER = /^\s*\[/;

/** `text` without its mcp_servers sections, and where the first of them began (a line index). */
function withoutMcpSections(source: string): { lines: string[]; at: number | undefined } {
  const lines = source.split("\n");
  const kept: string[] = [];
  let at: number | undefined;
  let inside = false;
  for (const line of lines) {
    if (ANY_HEADER.test(line)) inside = MCP_HEADER.test(line);
    if (inside) {
      at ??= kept.length;
      continue;
    }
    kept.push(line);
  }
  return { lines: kept, at };
}

function withoutKey(table: Table, name: string): Table {
  const { [name]: _, ...rest } = table;
  return rest;
}

/** The config text with `servers` as its MCP servers, the rest of `source` kept. */
export function replaceMcpServers(source: string, servers: McpServerConfig[]): string {
  const original = source.trim() ? parse(source) as Table : {};
  const block = servers.map(serverToml).join("\n");
  const { lines, at } = withoutMcpSections(source);
  let spliced: string;
  if (at === undefined) {
    const head = lines.join("\n").replace(/\n*$/, "");
    spliced = block ? (head ? `${head}\n\n${block}` : block) : lines.join("\n");
  } else {
    const before = lines.slice(0, at).join("\n").replace(/\n*$/, "");
    const after = lines.slice(at).join("\n").replace(/^\n*/, "");
    spliced = [before, block.replace(/\n$/, ""), after].filter((part) => part !== "").join("\n\n");
    if (!spliced.endsWith("\n")) spliced += "\n";
  }
  const wanted = servers.length ? parse(block) as Table : {};
  try {
    const result = parse(spliced) as Table;
    if (
      isDeepStrictEqual(withoutKey(result, "mcp_servers"), withoutKey(original, "mcp_servers")) &&
      isDeepStrictEqual(result.mcp_servers ?? {}, wanted.mcp_servers ?? {})
    ) {
      return spliced;
    }
  } catch {
    // Fall through to the full rewrite.
  }
  const rest = withoutKey(original, "mcp_servers");
  const tail = stringify(rest);
  return (tail ? `${tail}\n\n` : "") + block;
}

/** The servers of a config file as written (no -c, no profile), each validated. */
export function readMcpServers(file: string): { source: string; servers: McpServerConfig[] } {
  const source = existsSync(file) ? readFileSync(file, "utf8") : "";
  let table: Table;
  try {
    table = source.trim() ? parse(source) as Table : {};
  } catch (err) {
    throw new ConfigError(`${file}: invalid TOML: ${(err as Error).message.split("\n")[0]}`);
  }
  const raw = (table.mcp_servers ?? {}) as Record<string, unknown>;
  const checked: Record<string, McpServerToml> = {};
  for (const [name, value] of Object.entries(raw)) {
    const parsed = McpServerToml.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = ["mcp_servers", key(name), ...issue.path.map(String)].join(".");
      throw new ConfigError(`${file}: ${path}: ${describeIssue(issue, value)}`);
    }
    checked[name] = parsed.data;
  }
  return { source, servers: mcpServers(checked) };
}

/** Writes the file through a temporary one, so a crash never leaves half a config. */
export function writeConfigFile(file: string, text: string): void {
  const temp = `${file}.${randomUUID()}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, file);
}
