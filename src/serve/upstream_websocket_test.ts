// The real upstream Codex CLI as a WebSocket client of `tscodex serve`: with
// `supports_websockets` on its provider, `codex exec` opens /v1/responses as a WebSocket, runs a
// turn in which the model calls exec_command, and sends the follow-up on the same socket as a
// continuation (`previous_response_id` plus only the new items), after a `generate: false`
// warm-up the turn itself continues from. Upstream's binaries come from
// the pinned npm cache .ci/run fills; machines without them skip this test and say why.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { findUpstreamBinary, upstreamDir } from "../../conformance/mod.ts";
import { serveHttp } from "../platform/mod.ts";
import { skipWhen } from "../testing/mod.ts";
import { Dump } from "./dump.ts";
import { ResponsesProxy } from "./proxy.ts";
import { chatProfile } from "./chat_profiles.ts";
import { chat, runUpstreamCodex, ScriptedBackend } from "./testing.ts";

type Json = Record<string, unknown>;

const ARGS = JSON.stringify({ cmd: "echo upstream-$((6*7))" });
const VERSION = "0.115.0";
const binary = await findUpstreamBinary(upstreamDir(VERSION));

Deno.test({
  name: `upstream codex ${VERSION} runs a tool turn over serve's WebSocket mode`,
  ignore: skipWhen(
    `upstream codex ${VERSION} over serve's WebSocket mode`,
    !binary && `no upstream codex ${VERSION} in ${upstreamDir(VERSION)}: bash .ci/run installs it`,
  ),
  async fn() {
    const backend = await new ScriptedBackend("chat", [
      {
        chunks: [
          ...chat.toolCall(0, "call_w1", "exec_command", ARGS),
          chat.finish("tool_calls"),
          chat.usage(100, 10),
        ],
      },
      {
        chunks: [...chat.text("Saw it over the socket."), chat.finish("stop"), chat.usage(150, 5)],
      },
    ]).start();
    // Not under /tmp: upstream 0.115 refuses to set up its helpers there.
    const base = join(upstreamDir(VERSION), "..", "..", "runs");
    await mkdir(base, { recursive: true });
    const home = await mkdtemp(join(base, "serve-ws-home-"));
    const work = await mkdtemp(join(base, "serve-ws-work-"));
    const dumpDir = await mkdtemp(join(base, "serve-ws-dump-"));
    const dump = new Dump(dumpDir, []);
    let upgrades = 0;
    const proxy = new ResponsesProxy({
      downstream: {
        url: backend.url,
        api: "chat",
        profile: chatProfile("openai"),
        idleTimeoutMs: 30_000,
      },
      dump,
    });
    const server = await serveHttp({ port: 0, hostname: "127.0.0.1" }, (request) => {
      if (request.headers.get("upgrade")?.toLowerCase() === "websocket") upgrades++;
      return proxy.handle(request);
    });
    try {
      await writeFile(
        join(home, "config.toml"),
        `model = "gpt-5.1-codex"\nmodel_provider = "proxy"\n[model_providers.proxy]\n` +
          `name = "proxy"\nbase_url = "${server.url}/v1"\nwire_api = "responses"\n` +
          `env_key = "FAKE_API_KEY"\nsupports_websockets = true\n` +
          `[features]\nresponses_websockets = true\n`,
      );
      const run = await runUpstreamCodex(binary!, home, work, "run the echo");
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stdout, /Saw it over the socket\./);
      assert.ok(upgrades >= 1, "codex opened a WebSocket");
      await dump.flush();
      const requests = (await readFile(dump.file, "utf8")).trim().split("\n")
        .map((line) => JSON.parse(line) as Json)
        .filter((record) => record.kind === "request");
      assert.ok(requests.every((r) => String(r.path).includes("websocket")), "no HTTP fallback");
      // A warm-up (generate: false), then the turn and its follow-up, each continuing the last.
      const bodies = requests.map((r) => r.body as Json);
      assert.equal(bodies.length, 3);
      assert.equal(bodies[0].generate, false);
      assert.equal(typeof bodies[1].previous_response_id, "string");
      assert.equal(typeof bodies[2].previous_response_id, "string");
      assert.notEqual(bodies[1].previous_response_id, bodies[2].previous_response_id);
      assert.equal(backend.bodies.length, 2, "the warm-up generated nothing");
      assert.ok(JSON.stringify(backend.bodies[1]).includes("upstream-42"));
      // The backend got the whole conversation rebuilt from the socket's own cache.
      assert.ok(JSON.stringify(backend.bodies[1]).includes("run the echo"));
    } finally {
      await server.close();
      await backend.close();
      await rm(home, { recursive: true, force: true });
      await rm(work, { recursive: true, force: true });
      await rm(dumpDir, { recursive: true, force: true });
    }
  },
});
