// The REPL driven through a real terminal: tmux runs it on a pseudo-terminal, send-keys types,
// capture-pane reads the screen.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, realpath, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { FakeResponsesServer, parseScenario, requestInvariantViolations } from "../fake/mod.ts";
import { sandboxMissing } from "../tools/testing.ts";
import { ContextMeter } from "./repl/render.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const DENO = join(ROOT, "node_modules", ".bin", "deno");
const haveTmux = spawnSync("tmux", ["-V"]).status === 0;

class Terminal {
  constructor(readonly name: string) {}

  static start(name: string, command: string): Terminal {
    execFileSync("tmux", ["new-session", "-d", "-s", name, "-x", "160", "-y", "60", command]);
    return new Terminal(name);
  }

  screen(): string {
    return execFileSync("tmux", ["capture-pane", "-p", "-S", "-200", "-t", this.name], {
      encoding: "utf8",
    });
  }

  type(text: string): void {
    execFileSync("tmux", ["send-keys", "-t", this.name, "-l", text]);
    execFileSync("tmux", ["send-keys", "-t", this.name, "Enter"]);
  }

  key(key: string): void {
    execFileSync("tmux", ["send-keys", "-t", this.name, key]);
  }

  /** Waits until the screen matches; the screen is the only thing a person could watch. */
  async waitFor(pattern: RegExp, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const screen = this.screen();
      if (pattern.test(screen)) return screen;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`screen never matched ${pattern}:\n${this.screen()}`);
  }

  alive(): boolean {
    return spawnSync("tmux", ["has-session", "-t", this.name]).status === 0;
  }

  /** Waits for the program in the terminal to end; true when it did. */
  async exited(timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    return !this.alive();
  }

  kill(): void {
    spawnSync("tmux", ["kill-session", "-t", this.name]);
  }
}

Deno.test({
  name: "REPL on a real terminal: streaming, steer during a tool call, /compact, /resume, Ctrl-C",
  ignore: !haveTmux,
  async fn() {
    const work = await realpath(await mkdtemp(join(tmpdir(), "tscodex-repl-")));
    await mkdir(join(work, ".git"));
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
            arguments: { cmd: "sleep 1; echo slept" },
          }],
        },
        { output: [{ type: "message", text: "steered reply" }] },
        { output: [{ type: "message", text: "a short summary" }] },
        {
          output: [{
            type: "function_call",
            call_id: "long",
            name: "exec_command",
            arguments: { cmd: "sleep 30", yield_time_ms: 30000 },
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
    const name = `tscodex-repl-${Date.now()}`;
    const term = Terminal.start(
      name,
      `cd ${work} && env -i PATH=/usr/bin:/bin HOME=${work} CODEX_HOME=${work} TERM=xterm ${DENO} run -A ${ROOT}/main.ts`,
    );
    try {
      await term.waitFor(/tscodex>\s*$/m);
      term.type("hello");
      await term.waitFor(/codex> streamed hello there/);
      // The remaining-context meter appears once a response reported its usage.
      await term.waitFor(/tscodex\(\d+%\)>/);

      term.type("run the slow thing");
      await server.waitForRequests(2);
      await term.waitFor(/running exec_command|tscodex\(\d+%\)>\s*$/m).catch(() => {});
      term.type("also check the logs");
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
      await server.waitForRequests(5);
      // Interrupt only once the command really runs (the fifth response asked for it).
      const deadline = Date.now() + 20_000;
      while (spawnSync("pgrep", ["-f", "^sleep 30$"]).status !== 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      term.key("C-c");
      await term.waitFor(/\[interrupted\]/, 5000);
      // The cut-short call says so, rather than naming a session it never had.
      await term.waitFor(/\[exec\] sleep 30 -> aborted by user after \d+\.\ds/, 5000);

      term.type("anything else?");
      await term.waitFor(/back in the old session/);
      const last = server.requests[5].body;
      assert.deepEqual(requestInvariantViolations(last), []);
      assert.match(JSON.stringify(last), /aborted/);

      term.key("C-c");
      term.key("C-c");
      assert.equal(await term.exited(), true, "two Ctrl-C leave the REPL");
    } finally {
      term.kill();
      await server.close();
    }
  },
});

Deno.test({
  name: "REPL with approval_policy on-request: an escalated command waits for y, then runs",
  ignore: !haveTmux || sandboxMissing("the REPL approval test, which needs a bubblewrap sandbox"),
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
      `tscodex-repl-approve-${Date.now()}`,
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
      assert.equal(await term.exited(), true, "/exit leaves the REPL");
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
  assert.equal(meter.prompt(), "tscodex(100%)> ");
  meter.update(62_000);
  assert.equal(meter.prompt(), "tscodex(50%)> ");
  meter.update(500_000);
  assert.equal(meter.prompt(), "tscodex(0%)> ");
});
