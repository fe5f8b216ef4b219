// `tscodex js` on a real terminal (tmux): the agent reads and changes the live REPL through its
// repl_eval tool, only with the user's yes unless the session has full access. With
// $TSCODEX_BINARY set, the compiled binary is driven instead of main.ts under Deno.
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { FakeResponsesServer, parseScenario, type ScenarioInput } from "../fake/mod.ts";
import { tempDir } from "../testing/mod.ts";
import { Terminal, tmuxMissing, TSCODEX } from "./terminal_testing.ts";

const evalCall = (id: string, code: string) => ({
  output: [{ type: "function_call" as const, call_id: id, name: "repl_eval", arguments: { code } }],
});
const say = (text: string) => ({ output: [{ type: "message" as const, text }] });

/** The outputs of tool calls the model has got back so far, in order (the last request has all). */
function evalOutputs(server: FakeResponsesServer): string[] {
  const input = (server.requests.at(-1)!.body as { input: Record<string, unknown>[] }).input;
  return input.filter((item) => item.type === "function_call_output")
    .map((item) => String(item.output));
}

async function jsRepl(
  scenario: ScenarioInput,
  flags: string,
  drive: (term: Terminal, server: FakeResponsesServer) => Promise<void>,
): Promise<void> {
  const work = await tempDir("tscodex-js-");
  const server = new FakeResponsesServer(parseScenario(scenario));
  await server.start();
  await writeFile(
    join(work, "config.toml"),
    `model = "m"\nmodel_provider = "local"\n[model_providers.local]\nbase_url = "${server.baseUrl}"\n`,
  );
  const term = Terminal.start(
    join(work, "tmux.sock"),
    `cd ${work} && env -i PATH=/usr/bin:/bin HOME=${work} CODEX_HOME=${work} TERM=xterm ` +
      `${TSCODEX} js ${flags}`,
  );
  try {
    await term.waitFor(/^js> ?$/m);
    await drive(term, server);
    term.type(".exit");
    await term.exited();
  } finally {
    term.kill();
    await server.close();
  }
}

Deno.test({
  name:
    "tscodex js: .agent reads and defines REPL variables after a yes, and is refused after a no",
  ignore: tmuxMissing("the tscodex js terminal test"),
  async fn() {
    const scenario = {
      responses: [
        evalCall(
          "look",
          "globalThis.fromAgent = secret + 1; console.log('seen', secret); secret * 2",
        ),
        say("secret doubled is 84"),
        evalCall("wipe", "globalThis.wiped = true"),
        say("left it alone"),
      ],
    };
    await jsRepl(scenario, "", async (term, server) => {
      term.type("const secret = 6 * 7");
      await term.waitFor(/^undefined$/m);
      term.type(".agent what is secret doubled?");
      await term.waitFor(/The agent wants to run in this REPL:\n {2}globalThis\.fromAgent = /);
      await term.waitFor(/Run it\? \[y\]es \/ \[a\]lways this session \/ \[n\]o: ?$/m);
      term.type("y");
      await term.waitFor(/^secret doubled is 84$/m);
      // What the code printed and its value went back to the model.
      assert.deepEqual(JSON.parse(evalOutputs(server)[0]), { output: "seen 42\n", result: "84" });
      // And what it defined is the user's now.
      term.type("fromAgent + 100");
      await term.waitFor(/^143$/m);

      term.type(".agent tidy up");
      await term.waitFor(/ {2}globalThis\.wiped = true\nRun it\?/);
      term.type("n");
      await term.waitFor(/^left it alone$/m);
      assert.equal(evalOutputs(server).at(-1), "The user did not let this code run.");
      term.type("typeof wiped");
      await term.waitFor(/^'undefined'$/m);
    });
  },
});

Deno.test({
  name: "tscodex js with full access: the agent's code runs unasked; errors go back to it",
  ignore: tmuxMissing("the tscodex js terminal test"),
  async fn() {
    const scenario = {
      responses: [
        evalCall("list", "const doubled = items.map((n) => n * 2); doubled"),
        evalCall("oops", "items.nope()"),
        evalCall("later", "new Promise((resolve) => setTimeout(() => resolve(items.length), 1))"),
        say("doubled them"),
      ],
    };
    await jsRepl(scenario, "--yolo", async (term, server) => {
      term.type("const items = [1, 2, 3]");
      await term.waitFor(/^undefined$/m);
      term.type(".agent double the items");
      await term.waitFor(/^doubled them$/m);
      assert.doesNotMatch(term.screen(), /Run it\?/);
      const [first, second, third] = evalOutputs(server).map((text) => JSON.parse(text));
      assert.deepEqual(first, { result: "[ 2, 4, 6 ]" });
      assert.match(second.error, /^TypeError: .*nope/);
      assert.deepEqual(third, { result: "3" });
      term.type("doubled");
      await term.waitFor(/^\[ 2, 4, 6 \]$/m);
    });
  },
});
