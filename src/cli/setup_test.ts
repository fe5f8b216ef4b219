// openAgentSession against a real fake server, in a temp CODEX_HOME: what a session does between
// turns that the CLI surfaces rely on.
import assert from "node:assert/strict";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { baseInstructions } from "../agent/mod.ts";
import process from "node:process";
import { FakeResponsesServer, parseScenario } from "../fake/mod.ts";
import { tempDir } from "../testing/mod.ts";
import { join } from "node:path";
import { openAgentSession } from "./setup/mod.ts";

Deno.test("switchModel: the next turn uses the new model and is told about the switch", async () => {
  const reply = (text: string) => ({ output: [{ type: "message" as const, text }] });
  const server = new FakeResponsesServer(parseScenario({
    responses: [reply("one"), reply("two"), reply("three")],
  }));
  await server.start();
  try {
    await withSession(server, `model = "m1"`, async (session) => {
      const abort = new AbortController();
      await session.agent.runTurn(["hello"], abort.signal);
      session.switchModel("m1"); // the same model: nothing to say
      session.switchModel("m2");
      await session.agent.runTurn(["again"], abort.signal);
      await session.agent.runTurn(["and again"], abort.signal);

      const bodies = server.requests.map((r) =>
        r.body as {
          model: string;
          input: Array<{ role?: string; content?: Array<{ text: string }> }>;
        }
      );
      assert.deepEqual(bodies.map((b) => b.model), ["m1", "m2", "m2"]);
      const tail = bodies[1].input.slice(-2).map((i) => `${i.role}: ${i.content?.[0].text}`);
      assert.match(tail[0], /^developer: <model_switch>\n[^]*\(m2\)[^]*<\/model_switch>$/);
      assert.equal(tail[1], "user: again");
      assert.equal(
        bodies[2].input.filter((i) => i.content?.[0].text.startsWith("<model_switch>")).length,
        1,
        "said once",
      );
      const contexts = (await readFile(session.rolloutPath, "utf8")).trim().split("\n")
        .map((line) => JSON.parse(line)).filter((line) => line.type === "turn_context")
        .map((line) => line.payload.model);
      assert.deepEqual(
        contexts,
        ["m1", "m2", "m2"],
        "the rollout records the model each turn used",
      );
    });
  } finally {
    await server.close();
  }
});

/**
 * A session against `server` in a fresh CODEX_HOME (also the work dir) whose config.toml starts
 * with `head`, with `files` written beside it.
 */
async function withSession(
  server: FakeResponsesServer,
  head: string,
  fn: (session: Awaited<ReturnType<typeof openAgentSession>>) => Promise<void>,
  files: Record<string, string> = {},
): Promise<void> {
  const home = await tempDir("tscodex-instructions-");
  await mkdir(join(home, ".git"));
  for (const [name, text] of Object.entries(files)) await writeFile(join(home, name), text);
  const before = process.env.CODEX_HOME;
  process.env.CODEX_HOME = home;
  try {
    await writeFile(
      join(home, "config.toml"),
      `${head}\nmodel_provider = "local"\n[model_providers.local]\nname = "local"\n` +
        `base_url = "${server.baseUrl}"\n`,
    );
    const session = await openAgentSession({
      cwd: home,
      originator: "codex_exec",
      source: "exec",
      onEvent: () => {},
      notice: () => {},
    });
    try {
      await fn(session);
    } finally {
      await session.close();
    }
  } finally {
    if (before === undefined) delete process.env.CODEX_HOME;
    else process.env.CODEX_HOME = before;
  }
}

/** Runs `fn` with a server that answers every request with "ok". */
async function withOkServer(fn: (server: FakeResponsesServer) => Promise<void>): Promise<void> {
  const server = new FakeResponsesServer(parseScenario({
    responses: [{ output: [{ type: "message", text: "ok" }] }],
    after_last: "repeat_last",
  }));
  await server.start();
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

const firstLine = async (path: string) => JSON.parse((await readFile(path, "utf8")).split("\n")[0]);

Deno.test("the instructions sent and recorded are ours for the model, its tools and the personality in config.toml", async () => {
  await withOkServer(async (server) => {
    await withSession(server, `model = "gpt-5.4"\npersonality = "friendly"`, async (session) => {
      await session.agent.runTurn(["hello"], new AbortController().signal);
      const expected = baseInstructions({
        model: "gpt-5.4",
        personality: "friendly",
        tools: session.agent.options.tools,
      });
      assert.match(expected, /# Personality\n\nYou are a warm, patient teammate/);
      const body = server.requests.at(-1)!.body as { instructions: string };
      assert.equal(body.instructions, expected);
      const meta = await firstLine(session.rolloutPath);
      assert.equal(meta.payload.base_instructions.text, expected, "the rollout records them");
    });
    // A model without the patch tool is told to edit through the shell.
    await withSession(server, `model = "gpt-5"`, async (session) => {
      await session.agent.runTurn(["hello"], new AbortController().signal);
      const body = server.requests.at(-1)!.body as { instructions: string };
      assert.ok(!session.agent.options.tools.names.includes("apply_patch"));
      assert.match(body.instructions, /This session has no patch tool/);
    });
    // model_instructions_file replaces them, personality and all.
    await withSession(
      server,
      `model = "gpt-5.4"\npersonality = "friendly"\nmodel_instructions_file = "mine.md"`,
      async (session) => {
        await session.agent.runTurn(["hello"], new AbortController().signal);
        const body = server.requests.at(-1)!.body as { instructions: string };
        assert.equal(body.instructions, "Be brief.\n");
      },
      { "mine.md": "Be brief.\n" },
    );
  });
});

Deno.test("switchModel tells the new model its own instructions; the session keeps its own", async () => {
  await withOkServer(async (server) => {
    await withSession(server, `model = "gpt-5.1-codex"`, async (session) => {
      await session.agent.runTurn(["one"], new AbortController().signal);
      session.switchModel("gpt-5.1");
      await session.agent.runTurn(["two"], new AbortController().signal);
      const [first, second] = server.requests.map((r) =>
        r.body as { instructions: string; input: Array<{ content?: Array<{ text: string }> }> }
      );
      assert.equal(second.instructions, first.instructions);
      const notice = second.input.at(-2)?.content?.[0].text ?? "";
      const next = baseInstructions({ model: "gpt-5.1", tools: session.agent.options.tools });
      assert.ok(notice.startsWith("<model_switch>") && notice.includes(next), notice);
      // The full family's walk-through is what the new model gets and the old one did not.
      assert.match(next, /## A small task from start to finish/);
      assert.doesNotMatch(first.instructions, /## A small task from start to finish/);
    });
  });
});

Deno.test("a helper is sent, and its rollout records, instructions for its own tools", async () => {
  const say = (text: string) => ({ output: [{ type: "message" as const, text }] });
  const server = new FakeResponsesServer(parseScenario({
    responses: [
      {
        output: [{
          type: "function_call",
          call_id: "c1",
          name: "spawn_agent",
          arguments: { message: "List the files." },
        }],
      },
      {
        output: [{
          type: "function_call",
          call_id: "c2",
          name: "wait_agent",
          arguments: { ids: ["{{output_field:c1:agent_id}}"], timeout_ms: 30000 },
        }],
      },
      say("Done."),
    ],
    routes: [{ name: "helper", header: "x-openai-subagent", responses: [say("Two files.")] }],
  }));
  await server.start();
  try {
    await withSession(server, `model = "gpt-5.1-codex"`, async (session) => {
      await session.agent.runTurn(["Delegate"], new AbortController().signal);
      const bodies = server.requests.map((r) => ({
        helper: "x-openai-subagent" in r.headers,
        instructions: (r.body as { instructions: string }).instructions,
      }));
      const main = bodies.find((b) => !b.helper)!.instructions;
      const helper = bodies.find((b) => b.helper)!.instructions;
      assert.match(main, /`spawn_agent`/);
      assert.doesNotMatch(helper, /`spawn_agent`|`request_user_input`/);
      const sessions = join(session.home, "sessions");
      const files = (await readdir(sessions, { recursive: true }))
        .filter((name) => name.endsWith(".jsonl")).map((name) => join(sessions, name));
      const metas = await Promise.all(files.map(firstLine));
      const recorded = metas.map((meta) => meta.payload.base_instructions.text).sort();
      assert.deepEqual(recorded, [main, helper].sort());
    });
  } finally {
    await server.close();
  }
});
