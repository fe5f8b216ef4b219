// The collaboration features through the real CLI: `tscodex exec` as a subprocess against a
// scripted backend, sub-agents in the --json stream and code mode enabled from config.toml.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdir, mkdtemp, realpath, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Readable } from "node:stream";
import { collabBackend } from "../agent/testdata/collab.ts";
import type { ScenarioInput } from "../fake/mod.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

async function collect(stream: Readable): Promise<string> {
  let text = "";
  for await (const chunk of stream) text += chunk;
  return text;
}

/** `tscodex exec <args>` in a fresh git workdir whose config.toml points at `baseUrl`. */
async function exec(args: string[], baseUrl: string, config = "") {
  const work = await realpath(await mkdtemp(join(tmpdir(), "tscodex-collab-")));
  await mkdir(join(work, ".git"));
  await writeFile(
    join(work, "config.toml"),
    `model = "gpt-5.1-codex"\nmodel_provider = "fake"\n${config}\n` +
      `[model_providers.fake]\nname = "fake"\nbase_url = "${baseUrl}"\n`,
  );
  const child = spawn(join(ROOT, "node_modules", ".bin", "deno"), [
    "run",
    "-A",
    join(ROOT, "main.ts"),
    "exec",
    ...args,
  ], {
    cwd: work,
    env: { PATH: "/usr/bin:/bin", HOME: work, CODEX_HOME: work },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const [stdout, stderr, [code]] = await Promise.all([
    collect(child.stdout),
    collect(child.stderr),
    once(child, "close"),
  ]);
  return { code, stdout, stderr };
}

Deno.test("exec --json: spawn_agent appears as a collab_tool_call; a helper still busy at the end is stopped", async () => {
  const main: ScenarioInput = {
    responses: [
      {
        output: [{
          type: "function_call",
          call_id: "c1",
          name: "spawn_agent",
          arguments: { message: "Say hi" },
        }],
      },
      { output: [{ type: "message", text: "Spawned." }] },
    ],
  };
  // The helper's request never answers: only closing it at the end of the session ends it.
  const backend = await collabBackend(main, {
    responses: [{ output: [], fault: { kind: "stall", after_events: 0 } }],
  }, async (route, servers) => {
    // The final answer waits for the helper's request, so the helper is surely busy by the end.
    if (route === "main" && servers.main.requests.length === 1) {
      await servers.sub.waitForRequests(1);
    }
  });
  try {
    const run = await exec(["--json", "spawn"], backend.baseUrl);
    assert.equal(run.code, 0, run.stderr);
    const events = run.stdout.trim().split("\n").map((line) => JSON.parse(line));
    const thread = events[0].thread_id;
    const collab = events.filter((event) => event.item?.type === "collab_tool_call");
    assert.deepEqual(collab.map((event) => event.type), ["item.started", "item.completed"]);
    const [started, completed] = collab.map((event) => event.item);
    assert.deepEqual(started, {
      id: "item_0",
      type: "collab_tool_call",
      tool: "spawn_agent",
      sender_thread_id: thread,
      receiver_thread_ids: [],
      prompt: "Say hi",
      agents_states: {},
      status: "in_progress",
    });
    const [agentId] = completed.receiver_thread_ids;
    assert.deepEqual(completed.agents_states, {
      [agentId]: { status: "pending_init", message: null },
    });
    assert.equal(completed.status, "completed");
    assert.equal(backend.sub.requests.length, 1);
    const helper = backend.sub.requests[0];
    assert.equal(helper.headers["x-openai-subagent"], "collab_spawn");
    assert.equal(helper.headers["session_id"], agentId);
    assert.equal(JSON.parse(helper.headers["x-codex-turn-metadata"]).turn_id.length, 36);
  } finally {
    await backend.close();
  }
});

Deno.test("exec with features.code_mode: exec and exec_wait are declared first and a cell runs a command", async () => {
  const backend = await collabBackend({
    responses: [
      {
        output: [{
          type: "custom_tool_call",
          call_id: "x1",
          name: "exec",
          input: 'text((await tools.exec_command({cmd: "echo cell-ok"})).output.trim());',
        }],
      },
      { output: [{ type: "message", text: "saw {{output:x1}}" }] },
    ],
  });
  try {
    const run = await exec(["code"], backend.baseUrl, "[features]\ncode_mode = true");
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "saw cell-ok\n");
    const tools = (backend.main.requests[0].body as { tools: Array<{ name?: string }> }).tools;
    assert.deepEqual(tools.slice(0, 3).map((tool) => tool.name), [
      "exec",
      "exec_wait",
      "exec_command",
    ]);
  } finally {
    await backend.close();
  }
});
