// `exec` with MCP servers configured, end to end: the real CLI, the fake Responses server, the
// demo MCP server (the official SDK over stdio) and one server that cannot start.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, realpath, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import process from "node:process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { FakeResponsesServer, parseScenario } from "../fake/mod.ts";
import { runCli } from "./cli_testing.ts";

const DEMO_SERVER = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
  "conformance",
  "scenarios",
  "mcp",
  "demo_server.mjs",
);

const SCENARIO = {
  responses: [
    {
      output: [{
        type: "function_call",
        call_id: "c1",
        name: "mcp__demo__echo",
        arguments: { text: "hi" },
      }],
    },
    { output: [{ type: "function_call", call_id: "c2", name: "mcp__demo__fail", arguments: {} }] },
    { output: [{ type: "message", text: "done" }] },
  ],
};

async function withMcpSession(
  fn: (t: { work: string; server: FakeResponsesServer; pidFile: string }) => Promise<void>,
): Promise<void> {
  const work = await realpath(await mkdtemp(join(tmpdir(), "tscodex-mcp-exec-")));
  await mkdir(join(work, ".git"));
  const pidFile = join(work, "demo.pid");
  const server = new FakeResponsesServer(parseScenario(SCENARIO));
  await server.start();
  try {
    await writeFile(
      join(work, "config.toml"),
      `model = "gpt-5.1-codex"\nmodel_provider = "local"\n` +
        `[model_providers.local]\nname = "local"\nbase_url = "${server.baseUrl}"\n` +
        `[mcp_servers.demo]\ncommand = "node"\nargs = [${JSON.stringify(DEMO_SERVER)}]\n` +
        `env = { DEMO_PID_FILE = ${JSON.stringify(pidFile)} }\n` +
        `[mcp_servers.broken]\ncommand = "/nonexistent/mcp-server"\n`,
    );
    await fn({ work, server, pidFile });
  } finally {
    await server.close();
  }
}

function stopped(pidFile: string): boolean {
  const pid = Number(readFileSync(pidFile, "utf8"));
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

type Body = {
  tools: Array<{ name?: string; type: string }>;
  input: Array<Record<string, unknown>>;
};

Deno.test("exec with MCP servers: tools offered, calls framed, log as upstream's, servers stopped", async () => {
  await withMcpSession(async ({ work, server, pidFile }) => {
    const run = await runCli(["exec", "use the tools"], {
      cwd: work,
      env: { HOME: work, CODEX_HOME: work },
    });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "done\n");
    const names = (server.requests[0].body as Body).tools.map((t) => t.name ?? t.type);
    assert.deepEqual(names.slice(0, 5), [
      "exec_command",
      "write_stdin",
      "list_mcp_resources",
      "list_mcp_resource_templates",
      "read_mcp_resource",
    ]);
    assert.deepEqual(names.filter((n) => n.startsWith("mcp__")), [
      "mcp__demo__crash",
      "mcp__demo__dotted_name",
      "mcp__demo__echo",
      "mcp__demo__explode",
      "mcp__demo__fail",
      "mcp__demo__picture",
      "mcp__demo__sleep",
      "mcp__demo__weather",
    ]);
    assert.equal(names.at(-8), "mcp__demo__crash", "the servers' tools come last");
    const outputs = (server.requests[2].body as Body).input.filter((i) =>
      i.type === "function_call_output"
    );
    assert.deepEqual(outputs.map((o) => o.output), [
      '[{"type":"text","text":"echo: hi"}]',
      '[{"type":"text","text":"the gauge is broken"}]',
    ]);
    const log = run.stderr;
    assert.match(log, /^mcp: demo starting$/m);
    assert.match(log, /^mcp: broken failed: MCP client for `broken` failed to start: cannot run/m);
    assert.equal(log.match(/mcp: broken failed/g)?.length, 1, "a failed start is reported once");
    assert.match(log, /^mcp startup: ready: demo; failed: broken$/m);
    assert.match(log, /^tool demo\.echo\(\{"text":"hi"\}\)$/m);
    assert.match(log, /^demo\.echo\(\{"text":"hi"\}\) success in \d+m?s:\n\{\n {2}"content": \[/m);
    assert.match(log, /^demo\.fail\(\{\}\) failed in \d+m?s:\n(.*\n)*? {2}"isError": true/m);
    assert.ok(stopped(pidFile), "the MCP server outlived the session");
  });
});

Deno.test("exec --json with MCP servers: mcp_tool_call items", async () => {
  await withMcpSession(async ({ work }) => {
    const run = await runCli(["exec", "--json", "use the tools"], {
      cwd: work,
      env: { HOME: work, CODEX_HOME: work },
    });
    assert.equal(run.code, 0, run.stderr);
    const events = run.stdout.trim().split("\n").map((line) => JSON.parse(line));
    const items = events.filter((e) => e.item?.type === "mcp_tool_call");
    assert.deepEqual(items, [
      {
        type: "item.started",
        item: {
          id: "item_0",
          type: "mcp_tool_call",
          server: "demo",
          tool: "echo",
          arguments: { text: "hi" },
          result: null,
          error: null,
          status: "in_progress",
        },
      },
      {
        type: "item.completed",
        item: {
          id: "item_0",
          type: "mcp_tool_call",
          server: "demo",
          tool: "echo",
          arguments: { text: "hi" },
          result: { content: [{ type: "text", text: "echo: hi" }], structured_content: null },
          error: null,
          status: "completed",
        },
      },
      {
        type: "item.started",
        item: {
          id: "item_1",
          type: "mcp_tool_call",
          server: "demo",
          tool: "fail",
          arguments: {},
          result: null,
          error: null,
          status: "in_progress",
        },
      },
      {
        type: "item.completed",
        item: {
          id: "item_1",
          type: "mcp_tool_call",
          server: "demo",
          tool: "fail",
          arguments: {},
          result: {
            content: [{ type: "text", text: "the gauge is broken" }],
            structured_content: null,
          },
          error: null,
          status: "failed",
        },
      },
    ]);
    // Nothing of the startup reaches stdout in --json mode, as upstream's.
    assert.ok(!run.stdout.includes("mcp startup"));
    assert.ok(existsSync(join(work, "demo.pid")));
  });
});
