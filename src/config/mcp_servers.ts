// `[mcp_servers.<name>]`: the MCP servers a session starts, with the keys upstream Codex reads. A
// server is either a command to run (stdio) or a URL (streamable HTTP); keys of the other kind are
// an error, as upstream makes them, so a typo cannot silently change what runs.
import { z } from "zod";

const StringList = z.array(z.string());
const StringMap = z.record(z.string(), z.string());
const Seconds = z.number().min(0);

const STDIO_KEYS = ["args", "env", "env_vars", "cwd"] as const;
const HTTP_KEYS = ["bearer_token_env_var", "http_headers", "env_http_headers"] as const;

export const McpServerToml = z.looseObject({
  command: z.string().min(1).optional(),
  args: StringList.optional(),
  env: StringMap.optional(),
  /** Names of variables passed through from our own environment. */
  env_vars: StringList.optional(),
  cwd: z.string().min(1).optional(),
  url: z.url({ protocol: /^https?$/ }).optional(),
  bearer_token_env_var: z.string().min(1).optional(),
  http_headers: StringMap.optional(),
  /** Header name → the environment variable holding its value. */
  env_http_headers: StringMap.optional(),
  enabled: z.boolean().optional(),
  startup_timeout_sec: Seconds.optional(),
  /** The older spelling upstream still reads. */
  startup_timeout_ms: z.number().int().min(0).optional(),
  tool_timeout_sec: Seconds.optional(),
  enabled_tools: StringList.optional(),
  disabled_tools: StringList.optional(),
}).superRefine((server, ctx) => {
  const kind = server.command !== undefined ? "stdio" : server.url !== undefined ? "http" : "";
  if (server.command !== undefined && server.url !== undefined) {
    ctx.addIssue({
      code: "custom",
      message:
        "set either `command` (a stdio server) or `url` (a streamable HTTP server), not both",
    });
  } else if (!kind) {
    ctx.addIssue({
      code: "custom",
      message: "set `command` (a stdio server) or `url` (a streamable HTTP server)",
    });
  }
  const foreign = kind === "stdio" ? HTTP_KEYS : kind === "http" ? STDIO_KEYS : [];
  for (const key of foreign) {
    if (server[key] === undefined) continue;
    ctx.addIssue({
      code: "custom",
      path: [key],
      message: `\`${key}\` only applies to ${
        kind === "stdio" ? "servers with a `url`" : "servers with a `command`"
      }`,
    });
  }
});
export type McpServerToml = z.infer<typeof McpServerToml>;

export type McpTransport =
  | {
    type: "stdio";
    command: string;
    args: string[];
    env?: Record<string, string>;
    envVars: string[];
    cwd?: string;
  }
  | {
    type: "streamable_http";
    url: string;
    bearerTokenEnvVar?: string;
    httpHeaders?: Record<string, string>;
    envHttpHeaders?: Record<string, string>;
  };

export interface McpServerConfig {
  name: string;
  transport: McpTransport;
  enabled: boolean;
  /** As configured; the client applies upstream's defaults (10 s to start, 60 s per call). */
  startupTimeoutSec?: number;
  toolTimeoutSec?: number;
  /** Only these tools are offered (all when unset); `disabledTools` are never. */
  enabledTools?: string[];
  disabledTools?: string[];
}

/** The servers of a validated `mcp_servers` table, in the order the file lists them. */
export function mcpServers(table: Record<string, McpServerToml> | undefined): McpServerConfig[] {
  return Object.entries(table ?? {}).map(([name, server]) => ({
    name,
    transport: server.command !== undefined
      ? {
        type: "stdio",
        command: server.command,
        args: server.args ?? [],
        env: server.env,
        envVars: server.env_vars ?? [],
        cwd: server.cwd,
      }
      : {
        type: "streamable_http",
        url: server.url!,
        bearerTokenEnvVar: server.bearer_token_env_var,
        httpHeaders: server.http_headers,
        envHttpHeaders: server.env_http_headers,
      },
    enabled: server.enabled ?? true,
    startupTimeoutSec: server.startup_timeout_sec ??
      (server.startup_timeout_ms === undefined ? undefined : server.startup_timeout_ms / 1000),
    toolTimeoutSec: server.tool_timeout_sec,
    enabledTools: server.enabled_tools,
    disabledTools: server.disabled_tools,
  }));
}
