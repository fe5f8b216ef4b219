// `exec` tells the truth about time, as upstream 0.115.0 does: a command's item starts when its
// process does (the --json line arrives while the command is still blocked on a FIFO this test
// holds), and the plain log says how long it really ran.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { FakeResponsesServer, parseScenario } from "../fake/mod.ts";
import { makeFifo, tempDir, within } from "../testing/mod.ts";
import { CLI, runCli } from "./cli_testing.ts";

interface Bench {
  work: string;
  home: string;
  server: FakeResponsesServer;
}

/** A workspace and CODEX_HOME whose scripted model runs `call` (a tool and its args), then answers. */
async function withModel(
  call: { name: string; arguments: Record<string, unknown> },
  fn: (bench: Bench) => Promise<void>,
): Promise<void> {
  const work = await tempDir("tscodex-timing-");
  const home = join(work, ".home");
  const server = new FakeResponsesServer(parseScenario({
    responses: [
      { output: [{ type: "function_call", call_id: "c1", ...call }] },
      { output: [{ type: "message", text: "done" }] },
    ],
  }));
  await server.start();
  try {
    await mkdir(home);
    await writeFile(
      join(home, "config.toml"),
      `model_provider = "local"\n[model_providers.local]\nname = "local"\n` +
        `base_url = "${server.baseUrl}"\n`,
    );
    await fn({ work, home, server });
  } finally {
    await server.close();
    await rm(work, { recursive: true, force: true });
  }
}

Deno.test("exec --json: a command's item.started comes while it runs, not after", () =>
  withModel(
    { name: "exec_command", arguments: { cmd: "cat held.fifo", login: false } },
    async ({ work, home }) => {
      const fifo = makeFifo(work, "held.fifo");
      const child = spawn(CLI[0], [
        ...CLI.slice(1),
        "exec",
        "--json",
        "--skip-git-repo-check",
        "go",
      ], {
        cwd: work,
        env: { PATH: "/usr/bin:/bin", HOME: home, CODEX_HOME: home },
        stdio: ["ignore", "pipe", "pipe"],
      });
      const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
      const lines: Array<{ type: string; item?: Record<string, unknown> }> = [];
      let pending = "";
      let onLine = () => {};
      child.stdout!.on("data", (chunk) => {
        pending += chunk;
        const parts = pending.split("\n");
        pending = parts.pop()!;
        for (const part of parts) if (part.trim()) lines.push(JSON.parse(part));
        onLine();
      });
      let stderr = "";
      child.stderr!.on("data", (chunk) => (stderr += chunk));
      const seen = (type: string) =>
        new Promise<void>((resolve) => {
          const check = () => {
            if (lines.some((l) => l.type === type && l.item?.type === "command_execution")) {
              resolve();
            }
          };
          onLine = check;
          check();
        });
      try {
        // The command cannot finish until this test writes to the FIFO: the start must come first.
        await within(seen("item.started"), "item.started of the blocked command");
        assert.equal(lines.some((l) => l.type === "item.completed"), false);
        writeFileSync(fifo, "released\n");
        assert.equal(await within(exited, "tscodex exec to finish"), 0, stderr);
      } finally {
        child.kill("SIGKILL");
      }
      const completed = lines.find((l) =>
        l.type === "item.completed" && l.item?.type === "command_execution"
      );
      assert.equal(completed?.item?.aggregated_output, "released\n");
    },
  ));

Deno.test("exec: the plain log says how long a command ran", () =>
  withModel(
    { name: "exec_command", arguments: { cmd: "sleep 1; echo slept", login: false } },
    async ({ work, home }) => {
      const run = await runCli(["exec", "--skip-git-repo-check", "go"], {
        cwd: work,
        env: { HOME: home, CODEX_HOME: home },
      });
      assert.equal(run.code, 0, run.stderr);
      // A second at least (the command sleeps that long), in upstream's `1.02s` form.
      assert.match(
        run.stderr,
        /sleep 1; echo slept' in \S+ succeeded in ([1-9]\d*)\.\d\ds:\nslept\n/,
      );
    },
  ));
