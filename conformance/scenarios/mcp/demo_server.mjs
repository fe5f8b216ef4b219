// A small MCP server for the conformance scenarios and the tests, written with the official SDK:
// tools that answer with text, an image, structured content, an error result and a JSON-RPC
// error, a tool that sleeps, one that exits, and a few resources. Run it with node or deno over
// stdio. DEMO_HANG=1 makes it never answer `initialize` (a startup that times out); DEMO_PID_FILE
// names a file to write its process id into (to check that it is stopped).
import { writeFileSync } from "node:fs";
import process from "node:process";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import {
  CallToolRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";

/** A 1×1 PNG. */
const PIXEL =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";

const TOOLS = [
  {
    name: "echo",
    title: "Echo",
    description: "Sends the text back.",
    inputSchema: {
      type: "object",
      properties: { text: { type: "string", description: "What to send back." } },
      required: ["text"],
    },
  },
  {
    name: "picture",
    description: "A tiny picture and its caption.",
    inputSchema: { type: "object" },
  },
  {
    name: "weather",
    description: "The weather of a city, as data.",
    inputSchema: {
      type: "object",
      properties: {
        city: { type: "string" },
        days: { type: "integer", minimum: 1 },
        units: { type: "string", enum: ["c", "f"] },
        tags: { type: "array", items: { type: "string" } },
        detail: { type: "object", properties: { wind: { type: "boolean" } } },
        limit: { type: ["number", "null"] },
      },
      required: ["city"],
      additionalProperties: false,
    },
    outputSchema: { type: "object", properties: { temperature: { type: "number" } } },
  },
  {
    name: "fail",
    description: "Answers with an error result.",
    inputSchema: { type: "object", properties: {} },
  },
  {
    name: "explode",
    description: "Answers with a JSON-RPC error.",
    inputSchema: { type: "object", properties: {} },
  },
  {
    name: "sleep",
    description: "Answers after `ms` milliseconds (never, without it).",
    inputSchema: { type: "object", properties: { ms: { type: "number" } } },
  },
  {
    name: "crash",
    description: "Exits the server.",
    inputSchema: { type: "object", properties: {} },
  },
  { name: "dotted.name", inputSchema: { type: "object", properties: {} } },
];

const server = new Server(
  { name: "demo", version: "1.0.0" },
  { capabilities: { tools: {}, resources: {} } },
);

server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: TOOLS }));

server.setRequestHandler(CallToolRequestSchema, async (request) => {
  const args = request.params.arguments ?? {};
  switch (request.params.name) {
    case "echo":
      return { content: [{ type: "text", text: `echo: ${args.text}` }] };
    case "picture":
      return {
        content: [
          { type: "text", text: "one red pixel" },
          { type: "image", data: PIXEL, mimeType: "image/png" },
        ],
      };
    case "weather":
      return {
        content: [{ type: "text", text: `${args.city}: mild` }],
        structuredContent: { temperature: 21, city: args.city },
      };
    case "fail":
      return { content: [{ type: "text", text: "the gauge is broken" }], isError: true };
    case "explode":
      throw new McpError(-32603, "the tool blew up");
    case "sleep":
      await new Promise((resolve) => {
        if (typeof args.ms === "number") setTimeout(resolve, args.ms);
      });
      return { content: [{ type: "text", text: "slept" }] };
    case "crash":
      process.exit(3);
      break;
    case "dotted.name":
      return { content: [{ type: "text", text: "dotted" }] };
  }
  throw new McpError(-32602, `no tool named ${request.params.name}`);
});

server.setRequestHandler(ListResourcesRequestSchema, () => ({
  resources: [
    {
      uri: "memo://greeting",
      name: "greeting",
      mimeType: "text/plain",
      description: "A greeting.",
    },
  ],
}));

server.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({
  resourceTemplates: [{ uriTemplate: "memo://{name}", name: "memo" }],
}));

server.setRequestHandler(ReadResourceRequestSchema, (request) => {
  if (request.params.uri !== "memo://greeting") {
    throw new McpError(-32002, `no resource ${request.params.uri}`);
  }
  return { contents: [{ uri: "memo://greeting", mimeType: "text/plain", text: "hello" }] };
});

if (process.env.DEMO_PID_FILE) writeFileSync(process.env.DEMO_PID_FILE, String(process.pid));
if (process.env.DEMO_HANG !== "1") await server.connect(new StdioServerTransport());
else setInterval(() => {}, 60_000);
