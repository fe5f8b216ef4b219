// MCP servers for real: the demo server (the official SDK over stdio, run by node) and an SDK
// server over streamable HTTP in this process. Tools listed and called through the registry, as
// the agent calls them; errors, timeouts, a failed start, a server that dies mid-session.
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import type { McpServerConfig } from "../config/mod.ts";
import { serveHttp } from "../platform/mod.ts";
import type { ToolCallItem } from "../protocol/mod.ts";
import { type ToolEvent, ToolRegistry } from "../tools/mod.ts";
import { within } from "../testing/mod.ts";
import { McpManager, type McpStartupEvent } from "./manager.ts";
import { McpServer, WebStandardStreamableHTTPServerTransport } from "./sdk.ts";

const DEMO_SERVER = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
  "conformance",
  "scenarios",
  "mcp",
  "demo_server.mjs",
);

function demo(name: string, extra: Partial<McpServerConfig> = {}): McpServerConfig {
  return {
    name,
    transport: { type: "stdio", command: "node", args: [DEMO_SERVER], envVars: [] },
    enabled: true,
    ...extra,
  };
}

interface Harness {
  manager: McpManager;
  registry: ToolRegistry;
  startup: McpStartupEvent[];
  events: ToolEvent[];
  call(name: string, args: unknown): Promise<unknown>;
}

/** Starts the servers, registers their tools, and always stops them afterwards. */
async function withServers(
  servers: McpServerConfig[],
  body: (h: Harness) => Promise<void> | void,
  env: Record<string, string | undefined> = process.env,
): Promise<void> {
  const manager = new McpManager(servers, { clientVersion: "0.0.0-test", env });
  const startup: McpStartupEvent[] = [];
  manager.watch((event) => startup.push(event));
  try {
    await within(manager.ready, "the MCP servers to start");
    const registry = new ToolRegistry([
      ...(manager.configured ? manager.resourceTools() : []),
      ...await manager.toolDefs(),
    ]);
    const events: ToolEvent[] = [];
    let n = 0;
    const call = async (name: string, args: unknown) => {
      const item: ToolCallItem = {
        type: "function_call",
        call_id: `call_${++n}`,
        name,
        arguments: typeof args === "string" ? args : JSON.stringify(args),
      };
      const output = await within(
        registry.run(item, {
          signal: new AbortController().signal,
          cwd: process.cwd(),
          callId: item.call_id,
          onEvent: (event) => events.push(event),
        }),
        `the ${name} call`,
      );
      return output.output;
    };
    await body({ manager, registry, startup, events, call });
  } finally {
    await within(manager.close(), "the MCP servers to stop");
  }
}

Deno.test("stdio server: tools listed, named and declared as upstream does", async () => {
  await withServers([demo("demo", { disabledTools: ["sleep"] })], ({ registry, startup }) => {
    assert.deepEqual(startup, [
      { type: "starting", server: "demo" },
      { type: "ready", server: "demo" },
      { type: "complete", ready: ["demo"], failed: [] },
    ]);
    assert.deepEqual(registry.names, [
      "list_mcp_resources",
      "list_mcp_resource_templates",
      "read_mcp_resource",
      "mcp__demo__crash",
      "mcp__demo__dotted_name",
      "mcp__demo__echo",
      "mcp__demo__explode",
      "mcp__demo__fail",
      "mcp__demo__picture",
      "mcp__demo__weather",
    ]);
    const echo = registry.specs().find((spec) => spec.name === "mcp__demo__echo");
    assert.deepEqual(echo, {
      type: "function",
      name: "mcp__demo__echo",
      description: "Sends the text back.",
      strict: false,
      parameters: {
        type: "object",
        properties: { text: { type: "string", description: "What to send back." } },
        required: ["text"],
      },
    });
  });
});

Deno.test("stdio server: calls framed as upstream frames them, UI told of each", async () => {
  await withServers([demo("demo")], async ({ call, events }) => {
    assert.equal(
      await call("mcp__demo__echo", { text: "hi" }),
      '[{"type":"text","text":"echo: hi"}]',
    );
    assert.deepEqual(await call("mcp__demo__picture", {}), [
      { type: "input_text", text: "one red pixel" },
      { type: "input_image", image_url: `data:image/png;base64,${PIXEL}` },
    ]);
    assert.equal(
      await call("mcp__demo__weather", { city: "Oslo" }),
      '{"temperature":21,"city":"Oslo"}',
    );
    assert.equal(
      await call("mcp__demo__fail", {}),
      '[{"type":"text","text":"the gauge is broken"}]',
    );
    assert.equal(
      await call("mcp__demo__explode", {}),
      JSON.stringify([{
        type: "text",
        text: "tool call error: tool call failed for `demo/explode`\n\nCaused by:\n    " +
          // The SDK's server puts its own prefix into the message it sends; upstream shows it too.
          "Mcp error: -32603: MCP error -32603: the tool blew up",
      }]),
    );
    // Arguments that are no JSON never reach the server, and no call is shown.
    assert.equal(
      await call("mcp__demo__echo", "{not json"),
      '[{"type":"text","text":"err: key must be a string at line 1 column 2"}]',
    );
    const ends = events.filter((e) => e.type === "mcp_call" && e.outcome);
    assert.equal(ends.length, 5);
    const [first, , , fail, explode] = ends as Array<Extract<ToolEvent, { type: "mcp_call" }>>;
    assert.equal(first.server, "demo");
    assert.equal(first.tool, "echo");
    assert.deepEqual(first.arguments, { text: "hi" });
    assert.deepEqual(first.outcome?.result, { content: [{ type: "text", text: "echo: hi" }] });
    assert.equal(fail.outcome?.result?.isError, true);
    assert.match(explode.outcome?.error ?? "", /the tool blew up/);
    assert.equal(events.filter((e) => e.type === "mcp_call" && !e.outcome).length, 5);
  });
});

Deno.test("stdio server: a call past tool_timeout_sec fails and the server stays usable", async () => {
  await withServers([demo("demo", { toolTimeoutSec: 0.3 })], async ({ call }) => {
    // `sleep` without `ms` never answers: only the deadline can end this call.
    assert.equal(
      await call("mcp__demo__sleep", {}),
      JSON.stringify([{
        type: "text",
        text: "tool call error: tool call failed for `demo/sleep`\n\nCaused by:\n    " +
          "timed out awaiting tools/call after 300ms",
      }]),
    );
    assert.equal(
      await call("mcp__demo__echo", { text: "still" }),
      '[{"type":"text","text":"echo: still"}]',
    );
  });
});

Deno.test("stdio server: one that dies mid-session fails its calls, the others go on", async () => {
  await withServers([demo("demo"), demo("other")], async ({ call }) => {
    const closed = (tool: string) =>
      JSON.stringify([{
        type: "text",
        text:
          `tool call error: tool call failed for \`demo/${tool}\`\n\nCaused by:\n    Transport closed`,
      }]);
    assert.equal(await call("mcp__demo__crash", {}), closed("crash"));
    assert.equal(await call("mcp__demo__echo", { text: "x" }), closed("echo"));
    assert.equal(
      await call("mcp__other__echo", { text: "y" }),
      '[{"type":"text","text":"echo: y"}]',
    );
  });
});

Deno.test("startup: failures are reported once each and the ready servers serve", async () => {
  const servers = [
    demo("demo", { enabledTools: ["echo", "fail"], disabledTools: ["fail"] }),
    {
      ...demo("missing"),
      transport: { type: "stdio", command: "/nonexistent/mcp", args: [], envVars: [] },
    },
    demo("hangs", {
      startupTimeoutSec: 0.3,
      transport: {
        type: "stdio",
        command: "node",
        args: [DEMO_SERVER],
        env: { DEMO_HANG: "1" },
        envVars: [],
      },
    }),
    demo("off", { enabled: false }),
    demo("bad.name"),
  ] satisfies McpServerConfig[];
  await withServers(servers, ({ startup, registry }) => {
    const failed = startup.filter((e) => e.type === "failed") as Array<
      { server: string; error: string }
    >;
    assert.deepEqual(failed.map((e) => e.server).sort(), ["bad.name", "hangs", "missing"]);
    const reason = (server: string) => failed.find((e) => e.server === server)!.error;
    assert.match(
      reason("missing"),
      /^MCP client for `missing` failed to start: cannot run `\/nonexistent\/mcp`/,
    );
    assert.match(
      reason("hangs"),
      /did not answer within 300ms; raise startup_timeout_sec in \[mcp_servers\.hangs\]/,
    );
    assert.match(reason("bad.name"), /only letters, digits/);
    assert.equal(startup.filter((e) => "server" in e && e.server === "off").length, 0);
    const complete = startup.at(-1);
    assert.equal(complete?.type, "complete");
    assert.deepEqual(complete?.type === "complete" && complete.ready, ["demo"]);
    assert.deepEqual(registry.names.filter((n) => n.startsWith("mcp__")), ["mcp__demo__echo"]);
  });
});

Deno.test("resources: listed across servers, read by server and uri", async () => {
  await withServers([demo("demo")], async ({ call, events }) => {
    assert.equal(
      await call("list_mcp_resources", {}),
      '{"resources":[{"server":"demo","uri":"memo://greeting","name":"greeting",' +
        '"description":"A greeting.","mimeType":"text/plain"}]}',
    );
    // The result the log prints says isError: false, as upstream 0.115.0's (scenario mcp-tools).
    const end = events.find((e) => e.type === "mcp_call" && e.outcome);
    assert.equal(end?.type === "mcp_call" && end.outcome?.result?.isError, false);
    assert.equal(
      await call("list_mcp_resource_templates", { server: "demo" }),
      '{"server":"demo","resourceTemplates":[{"server":"demo","uriTemplate":"memo://{name}","name":"memo"}]}',
    );
    assert.equal(
      await call("read_mcp_resource", { server: "demo", uri: "memo://greeting" }),
      '{"server":"demo","uri":"memo://greeting","contents":[{"uri":"memo://greeting",' +
        '"mimeType":"text/plain","text":"hello"}]}',
    );
    assert.equal(
      await call("read_mcp_resource", { server: "nope", uri: "x" }),
      "resources/read failed: unknown MCP server 'nope'",
    );
    assert.equal(
      await call("list_mcp_resources", { cursor: "abc" }),
      "cursor can only be used when a server is specified",
    );
  });
});

const PIXEL =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";

/** An SDK server over streamable HTTP that wants `Authorization: Bearer <token>`. */
async function httpServer(token: string) {
  const server = new McpServer({ name: "web", version: "1.0.0" });
  server.registerTool(
    "add",
    { description: "Adds two numbers.", inputSchema: { a: z.number(), b: z.number() } },
    ({ a, b }) => ({ content: [{ type: "text", text: String(a + b) }] }),
  );
  server.registerTool(
    "hold",
    { description: "Never answers." },
    () => new Promise<never>(() => {}),
  );
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: () => crypto.randomUUID(),
  });
  await server.connect(transport);
  const running = await serveHttp({ port: 0, hostname: "127.0.0.1" }, (request) => {
    if (request.headers.get("authorization") !== `Bearer ${token}`) {
      return new Response("who are you?", { status: 401 });
    }
    return transport.handleRequest(request);
  });
  return {
    url: `${running.url}/mcp`,
    close: async () => {
      await server.close();
      await running.close();
    },
  };
}

function web(name: string, url: string, extra: Partial<McpServerConfig> = {}): McpServerConfig {
  return {
    name,
    transport: { type: "streamable_http", url, bearerTokenEnvVar: "WEB_TOKEN" },
    enabled: true,
    ...extra,
  };
}

Deno.test("streamable HTTP server: bearer token from the environment, tools called", async () => {
  const server = await httpServer("s3cret");
  try {
    await withServers(
      [
        web("web", server.url, { toolTimeoutSec: 0.3 }),
        web("nokey", server.url, {
          transport: {
            type: "streamable_http",
            url: server.url,
            bearerTokenEnvVar: "MISSING_TOKEN",
          },
        }),
      ],
      async ({ call, registry, startup }) => {
        assert.deepEqual(registry.names.filter((n) => n.startsWith("mcp__")), [
          "mcp__web__add",
          "mcp__web__hold",
        ]);
        assert.deepEqual(registry.specs().find((s) => s.name === "mcp__web__add")?.parameters, {
          type: "object",
          properties: { a: { type: "number" }, b: { type: "number" } },
          required: ["a", "b"],
        });
        assert.equal(await call("mcp__web__add", { a: 2, b: 3 }), '[{"type":"text","text":"5"}]');
        assert.match(
          String(await call("mcp__web__hold", {})),
          /timed out awaiting tools\/call after 300ms/,
        );
        const failed = startup.find((e) => e.type === "failed");
        assert.match(
          failed?.type === "failed" ? failed.error : "",
          /MISSING_TOKEN \(bearer_token_env_var of \[mcp_servers\.nokey\]\) is not set/,
        );
        // The server goes away mid-session: the next call fails with a sentence, not a hang.
        await server.close();
        assert.match(
          String(await call("mcp__web__add", { a: 1, b: 1 })),
          /tool call failed for `web\/add`/,
        );
      },
      { ...process.env, WEB_TOKEN: "s3cret" },
    );
  } finally {
    await server.close().catch(() => {});
  }
});

Deno.test("streamable HTTP server: a wrong token fails the start, with the status", async () => {
  const server = await httpServer("right");
  try {
    await withServers([web("web", server.url)], ({ startup, registry }) => {
      const failed = startup.find((e) => e.type === "failed");
      assert.match(
        failed?.type === "failed" ? failed.error : "",
        /^MCP client for `web` failed to start: .*401/,
      );
      assert.deepEqual(registry.names.filter((n) => n.startsWith("mcp__")), []);
    }, { ...process.env, WEB_TOKEN: "wrong" });
  } finally {
    await server.close();
  }
});
