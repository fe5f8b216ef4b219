// The real upstream Codex CLI as a client of `tscodex serve`: `codex exec` completes a turn in
// which the model calls exec_command and answers after seeing its output, through the proxy in
// front of a scripted chat backend and a scripted messages backend. Upstream's binaries come from
// the conformance recorder's npm cache (`deno task record` installs them); machines without them
// skip this test and say why.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { findUpstreamBinary, upstreamDir } from "../../conformance/mod.ts";
import { serveHttp } from "../platform/mod.ts";
import { skipWhen } from "../testing/mod.ts";
import { ResponsesProxy } from "./proxy.ts";
import { chatProfile } from "./chat_profiles.ts";
import { anthropic, chat, runUpstreamCodex, ScriptedBackend } from "./testing.ts";

const ARGS = JSON.stringify({ cmd: "echo upstream-$((6*7))" });

function replies(api: "chat" | "messages") {
  return api === "chat"
    ? [
      {
        chunks: [
          chat.delta({ reasoning_content: "run it" }),
          ...chat.toolCall(0, "call_u1", "exec_command", ARGS),
          chat.finish("tool_calls"),
          chat.usage(100, 10),
        ],
      },
      { chunks: [...chat.text("Saw the output."), chat.finish("stop"), chat.usage(150, 5)] },
    ]
    : [
      {
        chunks: [
          anthropic.start(100),
          ...anthropic.thinking(0, "run it", "sig1"),
          ...anthropic.toolUse(1, "toolu_u1", "exec_command", ARGS),
          ...anthropic.stop("tool_use", 10),
        ],
      },
      {
        chunks: [
          anthropic.start(150),
          ...anthropic.text(0, "Saw the output."),
          ...anthropic.stop("end_turn", 5),
        ],
      },
    ];
}

for (const version of ["0.115.0", "0.169.0"]) {
  const binary = await findUpstreamBinary(upstreamDir(version));
  for (const api of ["chat", "messages"] as const) {
    Deno.test({
      name:
        `upstream codex ${version} completes an exec_command turn through tscodex serve (${api})`,
      ignore: skipWhen(
        `upstream codex ${version} through serve (${api})`,
        !binary &&
          `no upstream codex ${version} in ${upstreamDir(version)}: bash .ci/run installs it`,
      ),
      async fn() {
        const backend = await new ScriptedBackend(api, replies(api)).start();
        const proxy = new ResponsesProxy({
          downstream: {
            url: backend.url,
            api,
            profile: chatProfile("openai"),
            idleTimeoutMs: 30_000,
          },
        });
        const server = await serveHttp({ port: 0, hostname: "127.0.0.1" }, proxy.handle);
        try {
          // Not under /tmp: upstream 0.115 refuses to set up its helpers there.
          const base = join(upstreamDir(version), "..", "..", "runs");
          await mkdir(base, { recursive: true });
          const home = await mkdtemp(join(base, "serve-home-"));
          const work = await mkdtemp(join(base, "serve-work-"));
          await writeFile(
            join(home, "config.toml"),
            `model = "gpt-5.1-codex"\nmodel_provider = "proxy"\n[model_providers.proxy]\nname = "proxy"\n` +
              `base_url = "${server.url}/v1"\nwire_api = "responses"\nenv_key = "FAKE_API_KEY"\n`,
          );
          const run = await runUpstreamCodex(binary!, home, work, "run the echo");
          assert.equal(run.status, 0, run.stderr);
          assert.match(run.stdout, /Saw the output\./);
          assert.equal(backend.bodies.length, 2);
          assert.ok(
            JSON.stringify(backend.bodies[1]).includes("upstream-42"),
            "the command's output reached the backend",
          );
        } finally {
          await server.close();
          await backend.close();
        }
      },
    });
  }
}
if (!(await findUpstreamBinary(upstreamDir("0.115.0")))) {
  console.log(
    "skipping the upstream-client tests: run `deno task record` to install upstream Codex",
  );
}
