// The collaboration features through the real CLI: `tscodex exec` as a subprocess against a
// scripted backend, sub-agents in the --json stream and code mode enabled from config.toml.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, realpath, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { collabBackend } from "../agent/testing.ts";
import { FakeResponsesServer, parseScenario, type ScenarioInput } from "../fake/mod.ts";
import { within } from "../testing/mod.ts";
import { runCli } from "./cli_testing.ts";

/** `tscodex exec <args>` in a fresh git workdir whose config.toml points at `baseUrl`. */
async function exec(args: string[], baseUrl: string, config = "") {
  const work = await realpath(await mkdtemp(join(tmpdir(), "tscodex-collab-")));
  await mkdir(join(work, ".git"));
  await writeFile(
    join(work, "config.toml"),
    `model = "gpt-5.1-codex"\nmodel_provider = "fake"\n${config}\n` +
      `[model_providers.fake]\nname = "fake"\nbase_url = "${baseUrl}"\n`,
  );
  const run = await runCli(["exec", ...args], { cwd: work, env: { HOME: work, CODEX_HOME: work } });
  return { ...run, home: work };
}

/** Every rollout file under `home`/sessions. */
async function rolloutFiles(home: string): Promise<string[]> {
  const entries = await readdir(join(home, "sessions"), { recursive: true });
  return entries.filter((name) => name.endsWith(".jsonl")).map((name) =>
    join(home, "sessions", name)
  );
}

/** The main agent's first answer in both sub-agent tests. */
const SPAWN = {
  output: [{
    type: "function_call" as const,
    call_id: "c1",
    name: "spawn_agent",
    arguments: { message: "Say hi" },
  }],
};

Deno.test("exec --json: spawn_agent appears as a collab_tool_call; a helper still busy at the end is stopped", async () => {
  const main: ScenarioInput = {
    responses: [
      SPAWN,
      { output: [{ type: "message", text: "Spawned." }] },
    ],
  };
  // The helper's request never answers: only closing it at the end of the session ends it.
  const backend = await collabBackend(main, {
    responses: [{ output: [], fault: { kind: "stall", after_events: 0 } }],
  }, async (route, servers) => {
    // The final answer waits for the helper's request, so the helper is surely busy by the end.
    if (route === "main" && servers.main.requests.length === 1) {
      await within(servers.sub.waitForRequests(1), "the helper's request");
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

Deno.test("exec: a sub-agent keeps a rollout of its own that names its parent and nickname", async () => {
  const server = new FakeResponsesServer(parseScenario({
    responses: [
      SPAWN,
      {
        output: [{
          type: "function_call",
          call_id: "c2",
          name: "wait_agent",
          arguments: { ids: ["{{output_field:c1:agent_id}}"], timeout_ms: 30000 },
        }],
      },
      { output: [{ type: "message", text: "Done." }] },
    ],
    // A notification that lands after the final answer makes the parent sample again.
    after_last: "repeat_last",
    routes: [{
      name: "child",
      header: "x-openai-subagent",
      value: "collab_spawn",
      responses: [{ output: [{ type: "message", text: "Hi from child." }] }],
    }],
  }));
  await server.start();
  try {
    const run = await exec(["spawn and wait"], server.baseUrl);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "Done.\n");
    const spawned = server.requests.find((r) => r.route === undefined && r.index > 0)!;
    const output = (spawned.body as { input: Array<Record<string, unknown>> }).input
      .find((item) => item.call_id === "c1" && item.type === "function_call_output");
    const { agent_id: agentId, nickname } = JSON.parse(String(output?.output));
    const rollouts = await Promise.all(
      (await rolloutFiles(run.home)).map(async (path) =>
        (await readFile(path, "utf8")).trim().split("\n").map((line) => JSON.parse(line))
      ),
    );
    assert.equal(rollouts.length, 2);
    const child = rollouts.find((lines) => lines[0].payload.id === agentId)!;
    const parent = rollouts.find((lines) => lines[0].payload.id !== agentId)!;
    assert.equal(parent[0].payload.source, "exec");
    assert.ok(!("agent_nickname" in parent[0].payload));
    assert.deepEqual(child[0].payload.source, {
      subagent: {
        thread_spawn: {
          parent_thread_id: parent[0].payload.id,
          depth: 1,
          agent_nickname: nickname,
          agent_role: null,
        },
      },
    });
    assert.deepEqual(Object.keys(child[0].payload).slice(5, 8), [
      "source",
      "agent_nickname",
      "model_provider",
    ]);
    assert.equal(child[0].payload.agent_nickname, nickname);
    const last = child.at(-1).payload;
    assert.deepEqual([last.type, last.last_agent_message], ["task_complete", "Hi from child."]);
    assert.ok(
      child.some((line) => line.type === "turn_context" && line.payload.model === "gpt-5.1-codex"),
    );
  } finally {
    await server.close();
  }
});
