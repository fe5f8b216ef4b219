// The REPL driven through a real terminal: tmux runs it on a pseudo-terminal, send-keys types,
// capture-pane reads the screen.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, realpath, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeResponsesServer, parseScenario, requestInvariantViolations } from "../fake/mod.ts";
import { makeFifo, watchFifo, within, writeFifo } from "../testing/mod.ts";
import { sandboxMissing } from "../tools/testing.ts";
import { ContextMeter } from "./repl/render.ts";
import { DENO, ROOT, Terminal, tmuxMissing } from "./terminal_testing.ts";

Deno.test({
  name: "REPL on a real terminal: streaming, steer during a tool call, /compact, /resume, Ctrl-C",
  ignore: tmuxMissing("the REPL terminal test"),
  async fn() {
    const work = await realpath(await mkdtemp(join(tmpdir(), "tscodex-repl-")));
    await mkdir(join(work, ".git"));
    // The commands tell the test they run by opening a FIFO; the slow one then waits for its gate.
    const slowStarted = watchFifo(makeFifo(work, "slow-started"));
    const gate = makeFifo(work, "gate");
    const longStarted = watchFifo(makeFifo(work, "long-started"));
    const server = new FakeResponsesServer(parseScenario({
      responses: [
        {
          chunks: 6,
          event_delay_ms: 20,
          output: [{ type: "message", text: "streamed hello there" }],
        },
        {
          output: [{
            type: "function_call",
            call_id: "slow",
            name: "exec_command",
            arguments: { cmd: `: > slow-started; read -r _ < gate; echo slept` },
          }],
        },
        { output: [{ type: "message", text: "steered reply" }] },
        { output: [{ type: "message", text: "a short summary" }] },
        {
          output: [{
            type: "function_call",
            call_id: "long",
            name: "exec_command",
            arguments: { cmd: ": > long-started; sleep 30", yield_time_ms: 30000 },
          }],
        },
        { output: [{ type: "message", text: "back in the old session" }] },
      ],
    }));
    await server.start();
    await writeFile(
      join(work, "config.toml"),
      `model = "m"\nmodel_provider = "local"\n[model_providers.local]\nname = "local"\nbase_url = "${server.baseUrl}"\n`,
    );
    const term = Terminal.start(
      join(work, "tmux.sock"),
      `cd ${work} && env -i PATH=/usr/bin:/bin HOME=${work} CODEX_HOME=${work} TERM=xterm ${DENO} run -A ${ROOT}/main.ts`,
    );
    try {
      await term.waitFor(/tscodex>\s*$/m);
      term.type("hello");
      await term.waitFor(/codex> streamed hello there/);
      // The remaining-context meter appears once a response reported its usage.
      await term.waitFor(/tscodex \(\d+% left\)>/);

      term.type("run the slow thing");
      await within(slowStarted.closed, "the slow command to start");
      term.type("also check the logs");
      // Lines are handled in order: once the busy notice for /compact is out, the steer is in.
      term.type("/compact");
      await term.waitFor(/A turn is running; compact when it ends\./);
      await writeFifo(gate, "go\n");
      await term.waitFor(/steered reply/);
      const steered = server.requests[2].body as { input: Array<Record<string, unknown>> };
      assert.deepEqual(steered.input.slice(-2).map((i) => i.type), [
        "function_call_output",
        "message",
      ]);
      assert.match(JSON.stringify(steered.input.at(-1)), /also check the logs/);

      term.type("/compact");
      await term.waitFor(/\[compact\] history now \d+ items/);

      term.type("/new");
      await term.waitFor(/New session/);
      term.type("/resume");
      await term.waitFor(/\[1\] hello/);
      term.type("/resume 1");
      await term.waitFor(/Resumed session: hello/);

      term.type("start the long job");
      // Interrupt only once the command really runs.
      await within(longStarted.closed, "the long command to start");
      term.key("C-c");
      await term.waitFor(/\[interrupted\]/);
      // The cut-short call says so, rather than naming a session it never had.
      await term.waitFor(/\[exec_command\] .*sleep 30 -> aborted by user after \d+\.\ds/);

      term.type("anything else?");
      await term.waitFor(/back in the old session/);
      const last = server.requests[5].body;
      assert.deepEqual(requestInvariantViolations(last), []);
      assert.match(JSON.stringify(last), /aborted/);

      term.key("C-c");
      term.key("C-c");
      await term.exited(); // two Ctrl-C leave the REPL
    } finally {
      term.kill();
      await server.close();
    }
  },
});

Deno.test({
  name: "REPL with approval_policy on-request: an escalated command waits for y, then runs",
  ignore: tmuxMissing("the REPL approval test") ||
    sandboxMissing("the REPL approval test, which needs a bubblewrap sandbox"),
  async fn() {
    const work = await realpath(await mkdtemp(join(tmpdir(), "tscodex-repl-approve-")));
    await mkdir(join(work, ".git"));
    const escalated = (cmd: string, callId: string) => ({
      output: [{
        type: "function_call" as const,
        call_id: callId,
        name: "exec_command",
        arguments: {
          cmd,
          login: false,
          sandbox_permissions: "require_escalated",
          justification: "Write the marker?",
        },
      }],
    });
    const server = new FakeResponsesServer(parseScenario({
      responses: [
        escalated("touch approved-marker && echo made", "yes"),
        { output: [{ type: "message", text: "first done" }] },
        escalated("touch refused-marker", "no"),
        { output: [{ type: "message", text: "second done" }] },
      ],
    }));
    await server.start();
    await writeFile(
      join(work, "config.toml"),
      `model = "m"\napproval_policy = "on-request"\nmodel_provider = "local"\n` +
        `[model_providers.local]\nname = "local"\nbase_url = "${server.baseUrl}"\n`,
    );
    const term = Terminal.start(
      join(work, "tmux.sock"),
      `cd ${work} && env -i PATH=/usr/bin:/bin HOME=${work} CODEX_HOME=${work} TERM=xterm ${DENO} run -A ${ROOT}/main.ts`,
    );
    try {
      await term.waitFor(/tscodex>\s*$/m);
      term.type("make the marker");
      await term.waitFor(
        /outside the sandbox: Write the marker\?[^]*touch approved-marker[^]*Allow\?/,
      );
      term.type("y");
      await term.waitFor(/first done/);
      const first = JSON.stringify(server.requests[1].body);
      assert.match(first, /Process exited with code 0/);
      assert.ok(existsSync(join(work, "approved-marker")));

      term.type("and another");
      await term.waitFor(/touch refused-marker[^]*Allow\?/);
      term.type("n");
      await term.waitFor(/second done/);
      assert.match(JSON.stringify(server.requests[3].body), /rejected by user/);
      assert.equal(existsSync(join(work, "refused-marker")), false);
      // Leave properly, so the session cleans up after its commands.
      term.type("/exit");
      await term.exited(); // /exit leaves the REPL
    } finally {
      term.kill();
      await server.close();
    }
  },
});

Deno.test("the context meter counts what is left above the baseline", () => {
  const meter = new ContextMeter();
  meter.reset(112_000);
  assert.equal(meter.prompt(), "tscodex> ");
  meter.update(12_000);
  assert.equal(meter.prompt(), "tscodex (100% left)> ");
  meter.update(62_000);
  assert.equal(meter.prompt(), "tscodex (50% left)> ");
  meter.update(500_000);
  assert.equal(meter.prompt(), "tscodex (0% left)> ");
});
