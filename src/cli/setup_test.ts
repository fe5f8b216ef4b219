// openAgentSession against a real fake server, in a temp CODEX_HOME: what a session does between
// turns that the CLI surfaces rely on.
import assert from "node:assert/strict";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import process from "node:process";
import { FakeResponsesServer, parseScenario } from "../fake/mod.ts";
import { tempDir } from "../testing/mod.ts";
import { join } from "node:path";
import { openAgentSession } from "./setup/mod.ts";

Deno.test("switchModel: the next turn uses the new model and is told about the switch", async () => {
  const work = await tempDir("tscodex-switch-");
  await mkdir(join(work, ".git"));
  const reply = (text: string) => ({ output: [{ type: "message" as const, text }] });
  const server = new FakeResponsesServer(parseScenario({
    responses: [reply("one"), reply("two"), reply("three")],
  }));
  await server.start();
  const before = process.env.CODEX_HOME;
  process.env.CODEX_HOME = work;
  try {
    await writeFile(
      join(work, "config.toml"),
      `model = "m1"\nmodel_provider = "local"\n[model_providers.local]\nname = "local"\n` +
        `base_url = "${server.baseUrl}"\n`,
    );
    const session = await openAgentSession({
      cwd: work,
      originator: "codex_cli_rs",
      source: "cli",
      onEvent: () => {},
      notice: () => {},
    });
    const abort = new AbortController();
    await session.agent.runTurn(["hello"], abort.signal);
    session.switchModel("m1"); // the same model: nothing to say
    session.switchModel("m2");
    await session.agent.runTurn(["again"], abort.signal);
    await session.agent.runTurn(["and again"], abort.signal);
    await session.close();

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
    assert.deepEqual(contexts, ["m1", "m2", "m2"], "the rollout records the model each turn used");
  } finally {
    if (before === undefined) delete process.env.CODEX_HOME;
    else process.env.CODEX_HOME = before;
    await server.close();
  }
});
