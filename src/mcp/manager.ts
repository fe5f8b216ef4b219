// The MCP servers of one session: all started at once when the session opens, each reported once
// as it becomes ready or fails (a failed one is left out and the session goes on), their tools
// offered to the model once every server has settled, all stopped when the session closes.
import process from "node:process";
import type { McpServerConfig } from "../config/mod.ts";
import type { ToolDef } from "../tools/mod.ts";
import { McpConnection } from "./connection.ts";
import { qualifyTools, SERVER_NAME } from "./names.ts";
import { mcpToolDef, resourceTools } from "./server_tools.ts";
import { toolParameters, UnsupportedSchemaError } from "./schema.ts";

export type McpStartupEvent =
  | { type: "starting"; server: string }
  | { type: "ready"; server: string }
  | { type: "failed"; server: string; error: string }
  /** Every server has settled (in the order they did). */
  | { type: "complete"; ready: string[]; failed: Array<{ server: string; error: string }> };

export interface McpManagerOptions {
  clientVersion: string;
  env?: Record<string, string | undefined>;
}

export class McpManager {
  readonly #connections = new Map<string, McpConnection>();
  readonly #events: McpStartupEvent[] = [];
  readonly #listeners = new Set<(event: McpStartupEvent) => void>();
  readonly #servers: McpServerConfig[];
  #closing = false;
  /** Settles (never rejects) once every server is ready or has failed. */
  readonly ready: Promise<void>;

  constructor(servers: readonly McpServerConfig[], readonly options: McpManagerOptions) {
    this.#servers = servers.filter((server) => server.enabled);
    this.ready = this.#startAll();
  }

  /** Whether any server is configured and enabled (upstream then offers the resource tools). */
  get configured(): boolean {
    return this.#servers.length > 0;
  }

  async #startAll(): Promise<void> {
    const ready: string[] = [];
    const failed: Array<{ server: string; error: string }> = [];
    for (const server of this.#servers) this.#emit({ type: "starting", server: server.name });
    await Promise.all(this.#servers.map(async (server) => {
      try {
        if (!SERVER_NAME.test(server.name)) {
          throw new Error(
            `MCP client for \`${server.name}\` failed to start: the name may hold only letters, ` +
              `digits, "-" and "_" (it becomes part of tool names); rename [mcp_servers.` +
              `${JSON.stringify(server.name)}]`,
          );
        }
        const connection = await McpConnection.connect(server, {
          clientVersion: this.options.clientVersion,
          env: this.options.env ?? process.env,
        });
        if (this.#closing) {
          await connection.close();
          return;
        }
        this.#connections.set(server.name, connection);
        ready.push(server.name);
        this.#emit({ type: "ready", server: server.name });
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        failed.push({ server: server.name, error });
        this.#emit({ type: "failed", server: server.name, error });
      }
    }));
    this.#emit({ type: "complete", ready, failed });
  }

  #emit(event: McpStartupEvent): void {
    this.#events.push(event);
    for (const listener of this.#listeners) listener(event);
  }

  /** Calls `listener` with every startup event so far, then with each one to come. */
  watch(listener: (event: McpStartupEvent) => void): void {
    for (const event of this.#events) listener(event);
    this.#listeners.add(listener);
  }

  connection(server: string): McpConnection | undefined {
    return this.#connections.get(server);
  }

  /** The ready servers, in name order (upstream lists resources server by server so). */
  get connections(): McpConnection[] {
    return [...this.#connections.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** list_mcp_resources, list_mcp_resource_templates, read_mcp_resource over these servers. */
  resourceTools(): ToolDef[] {
    return resourceTools(this);
  }

  /**
   * The tools of every ready server, allowed by its `enabled_tools` / `disabled_tools`, named and
   * ordered as upstream offers them. Tools whose schema has no upstream equivalent are left out.
   */
  async toolDefs(): Promise<ToolDef[]> {
    await this.ready;
    const entries = [];
    for (const server of this.#servers) {
      const connection = this.#connections.get(server.name);
      if (!connection) continue;
      for (const tool of connection.tools) {
        if (server.enabledTools && !server.enabledTools.includes(tool.name)) continue;
        if (server.disabledTools?.includes(tool.name)) continue;
        entries.push({ server: server.name, tool: tool.name, spec: tool, connection });
      }
    }
    const named = (await qualifyTools(entries)).sort((a, b) => a.name < b.name ? -1 : 1);
    const defs: ToolDef[] = [];
    for (const { name, tool } of named) {
      let parameters;
      try {
        parameters = toolParameters(tool.spec.inputSchema);
      } catch (err) {
        if (err instanceof UnsupportedSchemaError) continue;
        throw err;
      }
      defs.push(mcpToolDef(name, tool.connection, tool.spec, parameters));
    }
    return defs;
  }

  /** Stops every server (a server still starting is stopped once it has). */
  async close(): Promise<void> {
    this.#closing = true;
    const connections = [...this.#connections.values()];
    this.#connections.clear();
    await Promise.all(connections.map((connection) => connection.close()));
  }
}
