// What a person sees in the REPL, on a real terminal (tmux): commands answered locally and before
// the next prompt, the spinner naming the running command, typed text kept apart from it, Esc and
// Ctrl-C interrupting with a prompt drawn again, tool lines as the seed draws them, /model's list.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, realpath, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeResponsesServer, parseScenario } from "../fake/mod.ts";
import { DENO, ROOT, Terminal, tmuxMissing } from "./terminal_testing.ts";

const PROMPT = /^tscodex( \(\d+% left\))?> ?$/;

/** The screen's lines without trailing blanks, the empty ones at the end dropped. */
function lines(screen: string): string[] {
  const all = screen.split("\n").map((line) => line.trimEnd());
  while (all.length && all.at(-1) === "") all.pop();
  return all;
}

/** Whether the screen ends with `line` followed by the prompt (nothing after it). */
function endsWithThenPrompt(screen: string, line: RegExp): boolean {
  const shown = lines(screen);
  return PROMPT.test(shown.at(-1) ?? "") && line.test(shown.at(-2) ?? "");
}

const call = (name: string, args: unknown, id: string) => ({
  type: "function_call" as const,
  call_id: id,
  name,
  arguments: args as Record<string, unknown>,
});
const say = (text: string) => ({ output: [{ type: "message" as const, text }] });

Deno.test({
  name: "the REPL on a terminal: local commands, spinner, interrupts, tool lines, /model",
  ignore: tmuxMissing("the REPL screen test"),
  async fn() {
    const work = await realpath(await mkdtemp(join(tmpdir(), "tscodex-screen-")));
    await mkdir(join(work, ".git"));
    const fifo = join(work, "gate");
    spawnSync("mkfifo", [fifo]);
    const server = new FakeResponsesServer(parseScenario({
      responses: [
        {
          output: [call("update_plan", {
            plan: [
              { step: "look around", status: "completed" },
              { step: "wait at the gate", status: "in_progress" },
              { step: "report", status: "pending" },
            ],
          }, "plan")],
        },
        {
          output: [call("exec_command", {
            cmd: `read word < ${fifo}; echo first-$word; echo second`,
            yield_time_ms: 60_000,
          }, "gate")],
        },
        say("all done"),
        { output: [call("exec_command", { cmd: "sleep 30", yield_time_ms: 60_000 }, "esc")] },
        { output: [call("exec_command", { cmd: "sleep 31", yield_time_ms: 60_000 }, "ctrlc")] },
        {
          output: [
            { type: "web_search_call", action: { type: "search", query: "deno compile" } },
            { type: "message", text: "searched" },
          ],
        },
        {
          output: [{
            type: "custom_tool_call",
            call_id: "patch",
            name: "apply_patch",
            input: "*** Begin Patch\n*** Add File: notes.txt\n+hello\n*** End Patch\n",
          }],
        },
        { output: [call("exec_command", "{not json", "bad")] },
        say("patched"),
      ],
    }));
    await server.start();
    await writeFile(
      join(work, "config.toml"),
      `model = "gpt-5.1-codex"\nmodel_provider = "local"\n[model_providers.local]\n` +
        `name = "local"\nbase_url = "${server.baseUrl}"\n`,
    );
    const term = Terminal.start(
      join(work, "tmux.sock"),
      `cd ${work} && env -i PATH=/usr/bin:/bin HOME=${work} CODEX_HOME=${work} TERM=xterm ` +
        `${DENO} run -A ${ROOT}/main.ts --yolo`,
    );
    try {
      await term.waitFor(/^tscodex> ?$/m);

      // An unknown command is answered here; nothing reaches the model.
      term.type("/bogus now");
      await term.waitFor(/Unknown command \/bogus; \/help lists the commands\./);
      await term.waitForShown(/Unknown command \/bogus.*\ntscodex> ?$/);
      assert.equal(server.requests.length, 0);

      // A command's result comes before the next prompt, not after it.
      term.type("/title My work");
      const titled = await term.waitFor(/Session: My work/);
      await term.waitForShown(/Session: My work\ntscodex> ?$/);
      assert.ok(!/tscodex> ?\nSession: My work/.test(titled));

      // /model lists what GET /models answers.
      term.type("/model");
      await term.waitForShown(
        /Current model: gpt-5\.1-codex\nAvailable models: fake-model\ntscodex> ?$/,
      );

      // A turn: the plan as a checklist, then a command that waits at the gate.
      term.type("go");
      await term.waitFor(
        /\[update_plan\] Working on 2\/3\n {2}\[x\] look around\n {2}\[>\] wait at the gate\n {2}\[ \] report/,
      );
      // The spinner names the running command and how long it has run.
      await term.waitFor(
        /running read word < \S+gate; echo first-\$word.*\(\d+s · esc to interrupt\)/,
      );
      // Typed text gets a prompt of its own instead of running on after the spinner.
      term.send("also this");
      const typed = await term.waitFor(/^tscodex( \(\d+% left\))?> also this$/m);
      assert.ok(!/esc to interrupt\).*also this/.test(typed), typed);
      term.key("Enter"); // the typed line steers the turn
      await writeFile(fifo, "gate-open\n");
      await term.waitFor(
        /\[exec_command\] read word < \S+gate; echo first-\$word; echo second -> first-gate-open/,
      );
      await term.waitFor(/codex> all done/);
      await term.waitForShown(/codex> all done\ntscodex \(\d+% left\)> ?$/);
      assert.match(JSON.stringify(server.requests[2].body), /also this/);

      // Esc interrupts, and the prompt is drawn again.
      term.type("wait a long time");
      await term.waitFor(/running sleep 30 \(\d+s · esc to interrupt\)/);
      term.key("Escape");
      await term.waitFor(/\[interrupted\]/);
      await term.waitFor(/\[exec_command\] sleep 30 -> aborted by user after [\d.]+s/);
      await term.waitForShown(/\[interrupted\][^]*\ntscodex \(\d+% left\)> ?$/);

      // So does Ctrl-C.
      term.type("wait again");
      await term.waitFor(/running sleep 31 \(\d+s · esc to interrupt\)/);
      term.key("C-c");
      await term.waitForShown(/sleep 31 -> aborted[^]*\ntscodex \(\d+% left\)> ?$/);

      term.type("search please");
      await term.waitFor(/\[web_search\] searched: deno compile/);
      await term.waitFor(/codex> searched/);

      term.type("patch it");
      await term.waitFor(/\[apply_patch\] added notes\.txt/);
      await term.waitFor(/\[error\] exec_command failed: failed to parse function arguments/);
      await term.waitForShown(/codex> patched\ntscodex \(\d+% left\)> ?$/);
      assert.equal(await readFile(join(work, "notes.txt"), "utf8"), "hello\n");
      assert.ok(endsWithThenPrompt(term.shown(), /codex> patched/));

      term.type("/exit");
      await term.exited(); // /exit leaves the REPL
    } finally {
      term.kill();
      await server.close();
    }
  },
});

Deno.test({
  name: "text typed while an answer streams stays on its own line; the answer goes on below it",
  ignore: tmuxMissing("the REPL streaming test"),
  async fn() {
    const work = await realpath(await mkdtemp(join(tmpdir(), "tscodex-screen-stream-")));
    await mkdir(join(work, ".git"));
    const words = Array.from({ length: 40 }, (_, i) => `w${i}`).join(" ");
    const server = new FakeResponsesServer(parseScenario({
      responses: [
        { chunks: 40, event_delay_ms: 100, output: [{ type: "message", text: words }] },
        say("second answer"),
      ],
    }));
    await server.start();
    await writeFile(
      join(work, "config.toml"),
      `model = "m"\nmodel_provider = "local"\n[model_providers.local]\nname = "local"\n` +
        `base_url = "${server.baseUrl}"\n`,
    );
    const term = Terminal.start(
      join(work, "tmux.sock"),
      `cd ${work} && env -i PATH=/usr/bin:/bin HOME=${work} CODEX_HOME=${work} TERM=xterm ` +
        `${DENO} run -A ${ROOT}/main.ts`,
    );
    try {
      await term.waitFor(/^tscodex> ?$/m);
      term.type("stream slowly");
      await term.waitFor(/codex> w0/);
      term.send("typed-meanwhile");
      await term.waitFor(/^tscodex( \(\d+% left\))?> typed-meanwhile$/m);
      await term.waitFor(/w39/);
      const screen = term.shown();
      for (const line of screen.split("\n")) {
        if (line.includes("typed-meanwhile")) assert.match(line, /^tscodex( \(\d+% left\))?> /);
      }
      // Every word arrived, in order, on the answer's lines (the line may break inside a word).
      const answer = screen.split("\n").filter((line) => line.startsWith("codex> "))
        .map((line) => line.slice("codex> ".length)).join("").replace(/\s/g, "");
      assert.equal(answer, words.replace(/ /g, ""));
      term.key("Enter");
      await term.waitFor(/codex> second answer/);
      term.type("/exit");
      await term.exited();
    } finally {
      term.kill();
      await server.close();
    }
  },
});
