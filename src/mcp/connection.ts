// One MCP server, through the official SDK's client: started over stdio or streamable HTTP within
// its startup deadline, its tools listed, its tools called within the per-call deadline, and
// stopped with the session. Failures become sentences that name the server.
import {
  CallToolResultSchema,
  Client,
  ErrorCode,
  McpError,
  type Resource,
  type ResourceTemplate,
  StdioClientTransport,
  StreamableHTTPClientTransport,
  type Tool,
  type Transport,
} from "./sdk.ts";
import process from "node:process";
import type { McpServerConfig } from "../config/mod.ts";
import type { CallToolResult } from "./results.ts";

/** Upstream's defaults: 10 s to start and list tools, 60 s per call. */
export const DEFAULT_STARTUP_TIMEOUT_SEC = 10;
export const DEFAULT_TOOL_TIMEOUT_SEC = 60;

/**
 * What a stdio server inherits from our environment besides what its config sets, as upstream
 * passes it: enough to find programs and a home, never the rest (API keys stay with us).
 */
const INHERITED_ENV = [
  "HOME",
  "LOGNAME",
  "PATH",
  "SHELL",
  "USER",
  "LANG",
  "LC_ALL",
  "TERM",
  "TMPDIR",
  "TZ",
];

/** How much of a stdio server's stderr is kept, to explain a failed start. */
const STDERR_TAIL = 2000;

/** A failure the model reads: `summary` then the cause, as upstream words a failed call. */
export class McpCallError extends Error {
  constructor(readonly summary: string, readonly causeText: string) {
    super(`${summary}\n\nCaused by:\n    ${causeText}`);
    this.name = "McpCallError";
  }
}

export class McpStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "McpStartError";
  }
}

/** `1s`, `1.5s`, `500ms`: a duration as upstream's error texts print it. */
export function durationText(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${ms / 1000}s`;
}

function serverEnv(
  config: Extract<McpServerConfig["transport"], { type: "stdio" }>,
  env: Record<string, string | undefined>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of [...INHERITED_ENV, ...config.envVars]) {
    const value = env[name];
    if (value !== undefined) out[name] = value;
  }
  return { ...out, ...config.env };
}

function httpHeaders(
  server: string,
  config: Extract<McpServerConfig["transport"], { type: "streamable_http" }>,
  env: Record<string, string | undefined>,
): Record<string, string> {
  const headers: Record<string, string> = { ...config.httpHeaders };
  for (const [header, variable] of Object.entries(config.envHttpHeaders ?? {})) {
    const value = env[variable];
    if (value) headers[header] = value;
  }
  const tokenVar = config.bearerTokenEnvVar;
  if (tokenVar !== undefined) {
    const token = env[tokenVar];
    if (!token) {
      throw new McpStartError(
        `environment variable ${tokenVar} (bearer_token_env_var of [mcp_servers.${server}]) is ` +
          `${token === undefined ? "not set" : "empty"}; export the token in it`,
      );
    }
    headers.Authorization = `Bearer ${token}`;
  }
  return headers;
}

/** The SDK's message without its `MCP error <code>: ` prefix: the server's own words. */
function serverMessage(err: McpError): string {
  return err.message.replace(/^MCP error -?\d+: /, "");
}

export interface ConnectOptions {
  /** Sent as the client's version in `initialize`. */
  clientVersion: string;
  env?: Record<string, string | undefined>;
}

export class McpConnection {
  #closed = false;
  #stderr = "";

  private constructor(
    readonly name: string,
    readonly client: Client,
    readonly tools: Tool[],
    readonly toolTimeoutMs: number,
  ) {
    client.onclose = () => {
      this.#closed = true;
    };
  }

  /** Starts the server and lists its tools, within `startup_timeout_sec`. */
  static async connect(config: McpServerConfig, options: ConnectOptions): Promise<McpConnection> {
    const env = options.env ?? process.env;
    const startupMs = Math.round((config.startupTimeoutSec ?? DEFAULT_STARTUP_TIMEOUT_SEC) * 1000);
    const toolTimeoutMs = Math.round((config.toolTimeoutSec ?? DEFAULT_TOOL_TIMEOUT_SEC) * 1000);
    const { transport, stderr } = McpConnection.#transport(config, env);
    const client = new Client(
      { name: "tscodex-mcp-client", title: "tscodex", version: options.clientVersion },
      { capabilities: {} },
    );
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new McpStartError(
              `did not answer within ${durationText(startupMs)}; raise startup_timeout_sec ` +
                `in [mcp_servers.${config.name}] if it needs longer`,
            ),
          ),
        startupMs,
      );
    });
    try {
      const tools = await Promise.race([
        (async () => {
          await client.connect(transport, { timeout: startupMs });
          return await listAll(
            (cursor) => client.listTools({ cursor }, { timeout: startupMs }),
            (page) => page.tools,
          );
        })(),
        deadline,
      ]);
      const connection = new McpConnection(config.name, client, tools, toolTimeoutMs);
      connection.#stderr = stderr.text;
      return connection;
    } catch (err) {
      await client.close().catch(() => {});
      throw new McpStartError(startFailure(config, err, stderr.text));
    } finally {
      clearTimeout(timer);
    }
  }

  static #transport(
    config: McpServerConfig,
    env: Record<string, string | undefined>,
  ): { transport: Transport; stderr: { text: string } } {
    const stderr = { text: "" };
    const { transport: spec } = config;
    if (spec.type === "streamable_http") {
      const headers = httpHeaders(config.name, spec, env);
      return {
        transport: new StreamableHTTPClientTransport(new URL(spec.url), {
          requestInit: { headers },
        }),
        stderr,
      };
    }
    const transport = new StdioClientTransport({
      command: spec.command,
      args: spec.args,
      env: serverEnv(spec, env),
      cwd: spec.cwd,
      stderr: "pipe",
    });
    // Kept (the tail only) to explain a server that dies while starting.
    transport.stderr?.on("data", (chunk: Uint8Array) => {
      stderr.text = (stderr.text + new TextDecoder().decode(chunk)).slice(-STDERR_TAIL);
    });
    return { transport, stderr };
  }

  /** What the server printed on stderr, last lines only (stdio servers). */
  get stderr(): string {
    return this.#stderr;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The cause of a failed request, in upstream's words where the model knows them. */
  #cause(err: unknown, method: string): string {
    if (this.#closed || (err instanceof Error && err.message === "Not connected")) {
      return "Transport closed";
    }
    if (err instanceof McpError) {
      if (err.code === ErrorCode.RequestTimeout) {
        return `timed out awaiting ${method} after ${durationText(this.toolTimeoutMs)}`;
      }
      return `Mcp error: ${err.code}: ${serverMessage(err)}`;
    }
    return err instanceof Error ? err.message : String(err);
  }

  async #request<T>(
    method: string,
    summary: string,
    run: (options: { timeout: number; signal?: AbortSignal }) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    try {
      return await run({ timeout: this.toolTimeoutMs, signal });
    } catch (err) {
      throw new McpCallError(summary, this.#cause(err, method));
    }
  }

  /** `tools/call`; the result as the server sent it (no output-schema check: upstream has none). */
  callTool(
    tool: string,
    args: Record<string, unknown> | undefined,
    signal?: AbortSignal,
  ): Promise<CallToolResult> {
    return this.#request(
      "tools/call",
      `tool call failed for \`${this.name}/${tool}\``,
      (options) =>
        this.client.request(
          { method: "tools/call", params: { name: tool, ...(args ? { arguments: args } : {}) } },
          CallToolResultSchema,
          options,
        ) as Promise<CallToolResult>,
      signal,
    );
  }

  async listResources(cursor?: string): Promise<{ resources: Resource[]; nextCursor?: string }> {
    return await this.#request(
      "resources/list",
      `resources/list failed for \`${this.name}\``,
      (options) => this.client.listResources(cursor ? { cursor } : undefined, options),
    );
  }

  async listResourceTemplates(
    cursor?: string,
  ): Promise<{ resourceTemplates: ResourceTemplate[]; nextCursor?: string }> {
    return await this.#request(
      "resources/templates/list",
      `resources/templates/list failed for \`${this.name}\``,
      (options) => this.client.listResourceTemplates(cursor ? { cursor } : undefined, options),
    );
  }

  async readResource(uri: string): Promise<Record<string, unknown>> {
    return await this.#request(
      "resources/read",
      `resources/read failed for \`${this.name}\` (${uri})`,
      (options) => this.client.readResource({ uri }, options),
    );
  }

  async close(): Promise<void> {
    await this.client.close().catch(() => {});
  }
}

/** Every page of a paginated listing (a server repeating its cursor ends it). */
export async function listAll<P extends { nextCursor?: string }, T>(
  page: (cursor?: string) => Promise<P>,
  items: (page: P) => T[],
): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  for (;;) {
    const result = await page(cursor);
    out.push(...items(result));
    if (!result.nextCursor || result.nextCursor === cursor) return out;
    cursor = result.nextCursor;
  }
}

function startFailure(config: McpServerConfig, err: unknown, stderr: string): string {
  const { transport } = config;
  const code = (err as { code?: unknown })?.code;
  let reason: string;
  if (err instanceof McpStartError) reason = err.message;
  else if (transport.type === "stdio" && (code === "ENOENT" || code === "EACCES")) {
    reason = `cannot run \`${transport.command}\` (${
      code === "ENOENT" ? "no such program" : "permission denied"
    }); check \`command\` in [mcp_servers.${config.name}]`;
  } else if (err instanceof McpError && err.code === ErrorCode.ConnectionClosed) {
    reason = transport.type === "stdio"
      ? "the server exited before it finished starting"
      : "the server closed the connection while starting";
  } else if (err instanceof McpError) reason = `Mcp error: ${err.code}: ${serverMessage(err)}`;
  else if (typeof code === "number" && code >= 400 && code < 600) {
    // The streamable HTTP transport's errors carry the status as their code.
    reason = `${(err as Error).message} (HTTP ${code}` +
      (code === 401 || code === 403
        ? `; check bearer_token_env_var and http_headers in [mcp_servers.${config.name}])`
        : ")");
  } else {
    const cause = (err as { cause?: { message?: string } })?.cause?.message;
    reason = `${err instanceof Error ? err.message : String(err)}${cause ? ` (${cause})` : ""}`;
  }
  const tail = stderr.trim().split("\n").slice(-5).join("\n  ");
  return `MCP client for \`${config.name}\` failed to start: ${reason}` +
    (tail ? `\n  its stderr ended with:\n  ${tail}` : "");
}
