// `tscodex mcp-server` driven by the official SDK's client over stdio, against the fake Responses
// server: the codex tool runs a turn, codex-reply continues the same session.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, realpath, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeResponsesServer, parseScenario } from "../fake/mod.ts";
import { Client, StdioClientTransport } from "../mcp/mod.ts";
import { within } from "../testing/mod.ts";
import { CLI } from "./cli_testing.ts";

type Input = Array<{ type: string; role?: string; content?: Array<{ text?: string }> }>;

Deno.test("mcp-server: codex runs a turn, codex-reply continues it, progress is notified", async () => {
  const work = await realpath(await mkdtemp(join(tmpdir(), "tscodex-mcp-server-")));
  await mkdir(join(work, ".git"));
  const fake = new FakeResponsesServer(parseScenario({
    responses: [
      { output: [{ type: "message", text: "first answer" }] },
      { output: [{ type: "message", text: "second answer" }] },
    ],
  }));
  await fake.start();
  await writeFile(
    join(work, "config.toml"),
    `model = "gpt-5.1-codex"\nmodel_provider = "local"\n` +
      `[model_providers.local]\nname = "local"\nbase_url = "${fake.baseUrl}"\n`,
  );
  const transport = new StdioClientTransport({
    command: CLI[0],
    args: [...CLI.slice(1), "mcp-server"],
    cwd: work,
    env: { HOME: work, CODEX_HOME: work, PATH: "/usr/bin:/bin" },
    stderr: "pipe",
  });
  const client = new Client({ name: "test-driver", version: "1.0.0" });
  const events: Array<{ msg?: { type?: string } }> = [];
  client.fallbackNotificationHandler = (notification) => {
    if (notification.method === "codex/event") {
      events.push(notification.params as { msg?: { type?: string } });
    }
    return Promise.resolve();
  };
  try {
    await within(client.connect(transport), "the MCP server to start", 60_000);
    const { tools } = await within(client.listTools(), "tools/list");
    assert.deepEqual(tools.map((t) => t.name), ["codex", "codex-reply"]);
    const codex = tools[0];
    assert.deepEqual(codex.inputSchema.required, ["prompt"]);
    for (const key of ["approval-policy", "sandbox", "cwd", "model", "config", "profile"]) {
      assert.ok(key in (codex.inputSchema.properties ?? {}), key);
    }

    const first = await within(
      client.callTool({ name: "codex", arguments: { prompt: "hello there", cwd: work } }),
      "the codex call",
      60_000,
    );
    assert.deepEqual(first.content, [{ type: "text", text: "first answer" }]);
    const threadId = (first.structuredContent as { threadId: string }).threadId;
    assert.match(threadId, /^[0-9a-f-]{36}$/);
    assert.deepEqual(first.structuredContent, { threadId, content: "first answer" });
    const kinds = events.map((e) => e.msg?.type);
    assert.ok(kinds.includes("session_configured"), kinds.join());
    assert.ok(kinds.includes("task_complete"), kinds.join());

    const second = await within(
      client.callTool({ name: "codex-reply", arguments: { threadId, prompt: "and again" } }),
      "the codex-reply call",
      60_000,
    );
    assert.deepEqual(second.structuredContent, { threadId, content: "second answer" });
    // The second request carries the first turn: the same session went on.
    const input = (fake.requests[1].body as { input: Input }).input;
    const texts = input.flatMap((item) => item.content?.map((c) => c.text) ?? []);
    assert.ok(texts.includes("hello there") && texts.includes("first answer"), texts.join("|"));
    assert.equal(texts.at(-1), "and again");

    const unknown = await within(
      client.callTool({ name: "codex-reply", arguments: { threadId: "nope", prompt: "x" } }),
      "a codex-reply for an unknown thread",
    );
    assert.equal(unknown.isError, true);
    assert.match(
      (unknown.content as Array<{ text: string }>)[0].text,
      /no session with thread id nope/,
    );
  } finally {
    await within(client.close(), "the MCP server to stop");
    await fake.close();
  }
});
