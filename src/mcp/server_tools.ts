// The tools the model gets from MCP servers: one per server tool (`mcp__server__tool`), plus the
// three resource tools upstream Codex declares whenever servers are configured. Each call is
// reported to the UI as it starts and ends (`mcp_call` events: upstream's `mcp_tool_call` items).
import { z } from "zod";
import type { ToolOutput } from "../protocol/mod.ts";
import {
  checkJsonSyntax,
  defineFunctionTool,
  type JsonSchema,
  JsonSyntaxError,
  type ToolContext,
  type ToolDef,
  upstreamJsonSchema,
} from "../tools/mod.ts";
import { listAll, McpCallError, type McpConnection } from "./connection.ts";
import type { McpManager } from "./manager.ts";
import type { Tool } from "./sdk.ts";
import {
  errorOutput,
  listedResource,
  modelOutput,
  resourceContents,
  shownResult,
} from "./results.ts";

/** The JSON syntax error as upstream's parser words it (the model knows these phrasings). */
function syntaxError(text: string, err: unknown): string {
  try {
    checkJsonSyntax(text);
  } catch (syntax) {
    if (syntax instanceof JsonSyntaxError) return syntax.message;
  }
  return (err as Error).message;
}

/** Reports the call's start, runs it, reports its end; the output is what the model reads. */
async function reported(
  ctx: ToolContext,
  call: { server: string; tool: string; arguments: unknown },
  run: () => Promise<{ output: ToolOutput; result: Record<string, unknown> }>,
  failure: (message: string) => ToolOutput,
): Promise<{ output: ToolOutput }> {
  ctx.onEvent?.({ type: "mcp_call", callId: ctx.callId, ...call });
  const started = performance.now();
  const end = (outcome: { result?: Record<string, unknown>; error?: string }) =>
    ctx.onEvent?.({
      type: "mcp_call",
      callId: ctx.callId,
      ...call,
      outcome: { durationMs: Math.round(performance.now() - started), ...outcome },
    });
  try {
    const { output, result } = await run();
    end({ result });
    return { output };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    end({ error: message });
    return { output: failure(message) };
  }
}

/** A server's tool, offered under its qualified name with its schema in upstream's dialect. */
export function mcpToolDef(
  name: string,
  connection: McpConnection,
  tool: Tool,
  parameters: JsonSchema,
): ToolDef {
  return {
    kind: "external",
    name,
    description: tool.description ?? "",
    parameters,
    async execute(text, ctx) {
      let args: Record<string, unknown> | undefined;
      if (text.trim() !== "") {
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch (err) {
          // Upstream answers before the call starts, so no call is shown.
          return errorOutput(`err: ${syntaxError(text, err)}`);
        }
        if (typeof value !== "object" || value === null || Array.isArray(value)) {
          return errorOutput("err: the arguments must be a JSON object");
        }
        args = value as Record<string, unknown>;
      }
      return await reported(
        ctx,
        { server: connection.name, tool: tool.name, arguments: args ?? null },
        async () => {
          try {
            const result = await connection.callTool(tool.name, args, ctx.signal);
            return { output: modelOutput(result), result: shownResult(result) };
          } catch (err) {
            // Upstream's wording, for the model and the UI alike.
            throw new Error(`tool call error: ${(err as Error).message}`);
          }
        },
        errorOutput,
      );
    },
  };
}

const ServerArgument = z.string().describe(
  "Name of one configured MCP server; leave it out to ask every server.",
);
const CursorArgument = z.string().describe(
  "The `nextCursor` of an earlier answer from the same server, for the next page.",
);
const ListArguments = z.object({
  server: ServerArgument.optional(),
  cursor: CursorArgument.optional(),
});
const ReadArguments = z.object({
  server: z.string().describe("The server that listed the resource (its `server` field)."),
  uri: z.string().describe("The resource's `uri`, as a listing gave it."),
});

/** Blank strings count as not given, as upstream treats them. */
function given(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/**
 * A resource tool's answer: JSON for the model, shown as one text block by the UI, with the
 * `isError: false` upstream's log prints for these calls.
 */
function jsonAnswer(payload: Record<string, unknown>) {
  const output = JSON.stringify(payload);
  return { output, result: { content: [{ type: "text", text: output }], isError: false } };
}

function listingTool(
  manager: McpManager,
  name: "list_mcp_resources" | "list_mcp_resource_templates",
): ToolDef {
  const templates = name === "list_mcp_resource_templates";
  const key = templates ? "resourceTemplates" : "resources";
  const method = templates ? "resources/templates/list" : "resources/list";
  const page = async (
    connection: McpConnection,
    cursor?: string,
  ): Promise<{ items: Array<Record<string, unknown>>; nextCursor?: string }> => {
    if (templates) {
      const result = await connection.listResourceTemplates(cursor);
      return { items: result.resourceTemplates, nextCursor: result.nextCursor };
    }
    const result = await connection.listResources(cursor);
    return { items: result.resources, nextCursor: result.nextCursor };
  };
  return defineFunctionTool({
    kind: "function",
    name,
    description: templates
      ? "List the parameterised resource templates MCP servers offer (URI patterns for data " +
        "they can provide). Look here before searching the web for such data."
      : "List the resources MCP servers offer (files, records, schemas and other data they " +
        "can provide as context). Look here before searching the web for such data.",
    parallel: true,
    parameters: ListArguments,
    jsonSchema: upstreamJsonSchema(ListArguments),
    execute: (args, ctx) => {
      const server = given(args.server);
      const cursor = given(args.cursor);
      return reported(ctx, {
        server: server ?? "codex",
        tool: name,
        arguments: args,
      }, async () => {
        if (server === undefined) {
          if (cursor !== undefined) {
            throw new Error("cursor can only be used when a server is specified");
          }
          const all = [];
          for (const connection of manager.connections) {
            try {
              const items = await listAll((c) => page(connection, c), (p) => p.items);
              all.push(...items.map((item) => listedResource(connection.name, item, templates)));
            } catch {
              // A server that cannot list them is left out of the answer to "all servers".
            }
          }
          return jsonAnswer({ [key]: all });
        }
        const connection = manager.connection(server);
        if (!connection) throw new Error(`${method} failed: unknown MCP server '${server}'`);
        try {
          const result = await page(connection, cursor);
          return jsonAnswer({
            server,
            [key]: result.items.map((item) => listedResource(server, item, templates)),
            ...(result.nextCursor ? { nextCursor: result.nextCursor } : {}),
          });
        } catch (err) {
          throw new Error(`${method} failed: ${flat(err)}`);
        }
      }, (message) => message);
    },
  });
}

/** An error and its cause on one line, as upstream prints such chains. */
function flat(err: unknown): string {
  if (err instanceof McpCallError) return `${err.summary}: ${err.causeText}`;
  return err instanceof Error ? err.message : String(err);
}

function readTool(manager: McpManager): ToolDef {
  return defineFunctionTool({
    kind: "function",
    name: "read_mcp_resource",
    description: "Read one resource from an MCP server, by the server's name and the " +
      "resource's URI as list_mcp_resources gave them.",
    parallel: true,
    parameters: ReadArguments,
    jsonSchema: upstreamJsonSchema(ReadArguments),
    execute: (args, ctx) =>
      reported(
        ctx,
        { server: args.server, tool: "read_mcp_resource", arguments: args },
        async () => {
          const connection = manager.connection(args.server);
          try {
            if (!connection) throw new Error(`unknown MCP server '${args.server}'`);
            const result = await connection.readResource(args.uri);
            const contents = Array.isArray(result.contents) ? result.contents : [];
            return jsonAnswer({
              server: args.server,
              uri: args.uri,
              contents: contents.map(resourceContents),
              ...(result._meta === undefined ? {} : { _meta: result._meta }),
            });
          } catch (err) {
            throw new Error(`resources/read failed: ${flat(err)}`);
          }
        },
        (message) => message,
      ),
  });
}

export function resourceTools(manager: McpManager): ToolDef[] {
  return [
    listingTool(manager, "list_mcp_resources"),
    listingTool(manager, "list_mcp_resource_templates"),
    readTool(manager),
  ];
}
