// The Redis response store against a real redis-server: the store itself, what serve does when
// Redis goes away, and two `tscodex serve` processes (one under Deno, one under Bun) sharing one
// Redis, so a conversation started on one replica continues on the other, over HTTP and over
// WebSocket.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { serveHttp } from "../platform/mod.ts";
import { ResponsesProxy } from "./proxy.ts";
import { chatProfile } from "./chat_profiles.ts";
import { RedisResponseStore } from "./redis_store.ts";
import type { StoredResponse } from "./response_store.ts";
import { chat, ScriptedBackend, userText } from "./testing.ts";
import { skipWhen, within } from "../testing/mod.ts";
import { redisInstalled, startRedis } from "./redis_testing.ts";
import { finalResponse, SocketClient } from "./websocket_testing.ts";

type Json = Record<string, unknown>;

const MAIN = fileURLToPath(new URL("../../main.ts", import.meta.url));
const BUN = fileURLToPath(new URL("../../node_modules/.bin/bun", import.meta.url));
const ignore = skipWhen(
  "the Redis store tests",
  !redisInstalled && "redis-server is not installed: bash .ci/run installs it",
);

const answer = (text: string) => ({ chunks: [...chat.text(text), chat.finish("stop")] });

function entry(id: string, text: string, previousResponseId?: string): StoredResponse {
  return {
    response: { id, object: "response", status: "completed", output: [] },
    input: [userText(text)] as StoredResponse["input"],
    ...(previousResponseId ? { previousResponseId } : {}),
  };
}

/** The texts of the chat messages a backend request carried, in order. */
function texts(body: Json): string[] {
  return (body.messages as Json[]).map((m) => `${m.role}:${m.content ?? ""}`);
}

Deno.test({
  name: "serve/redis: entries are kept with an expiry, deleted and evicted in a real Redis",
  ignore,
  async fn() {
    const redis = await startRedis();
    const store = await RedisResponseStore.connect({ url: redis.url, ttlSeconds: 3600 });
    try {
      assert.equal(await store.get("resp_missing"), undefined);
      await store.put("resp_a", entry("resp_a", "first"));
      await store.put("resp_b", entry("resp_b", "second", "resp_a"));
      assert.deepEqual(await store.get("resp_b"), entry("resp_b", "second", "resp_a"));
      const ttl = await store.client.ttl("tscodex:response:resp_a");
      assert.ok(ttl > 3500 && ttl <= 3600, `ttl ${ttl}`);
      assert.equal(await store.delete("resp_a"), true);
      assert.equal(await store.delete("resp_a"), false);
      await store.evict("resp_b");
      assert.equal(await store.get("resp_b"), undefined);
      assert.match(store.description, /in Redis at redis:\/\/127\.0\.0\.1:\d+ for 3600 seconds/);
    } finally {
      await store.close();
      await redis.stop();
    }
  },
});

Deno.test({
  name: "serve/redis: an unreachable Redis is an error naming it, never its password",
  ignore,
  async fn() {
    const redis = await startRedis();
    const port = new URL(redis.url).port;
    await redis.stop();
    const url = `redis://user:hunter2secret@127.0.0.1:${port}/0`;
    await assert.rejects(
      () => RedisResponseStore.connect({ url, ttlSeconds: 60 }),
      (err: Error) => {
        assert.match(
          err.message,
          new RegExp(
            `cannot connect to Redis at redis://user:<redacted>@127\\.0\\.0\\.1:${port}/0`,
          ),
        );
        assert.doesNotMatch(err.message, /hunter2secret/);
        return true;
      },
    );
  },
});

Deno.test({
  name: "serve/redis: when Redis goes away, lookups are 503 and fresh answers still arrive",
  ignore,
  async fn() {
    const redis = await startRedis();
    const backend = await new ScriptedBackend("chat", [answer("one"), answer("two")]).start();
    const logged: string[] = [];
    const unreachable = Promise.withResolvers<void>();
    const store = await RedisResponseStore.connect({
      url: redis.url,
      ttlSeconds: 60,
      log: (line) => {
        logged.push(line);
        if (/is unreachable/.test(line)) unreachable.resolve();
      },
    });
    const proxy = new ResponsesProxy({
      downstream: { url: backend.url, api: "chat", profile: chatProfile(), idleTimeoutMs: 10_000 },
      store,
      log: (line) => logged.push(line),
    });
    const server = await serveHttp({ port: 0, hostname: "127.0.0.1" }, proxy.handle);
    const post = (body: Json) =>
      fetch(`${server.url}/v1/responses`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "m", ...body }),
      });
    try {
      const first = await (await post({ input: "hi" })).json();
      assert.equal(first.status, "completed");
      await redis.stop();
      await within(unreachable.promise, "the store noticing Redis is gone");
      const continued = await post({ input: "more", previous_response_id: first.id });
      assert.equal(continued.status, 503);
      const error = (await continued.json()).error;
      assert.equal(error.code, "store_unavailable");
      assert.match(error.message, /the response store \(Redis at redis:\/\/127\.0\.0\.1:\d+\)/);
      const fresh = await post({ input: "again" });
      assert.equal(fresh.status, 200);
      assert.equal((await fresh.json()).status, "completed");
      assert.ok(
        logged.some((line) => /was not stored: the response store/.test(line)),
        logged.join("\n"),
      );
      assert.equal(backend.bodies.length, 2, "the failed lookup never reached the backend");
    } finally {
      await server.close();
      await store.close();
      await backend.close();
      await redis.stop();
    }
  },
});

interface Replica {
  url: string;
  stop(): Promise<void>;
}

/** `tscodex serve` as a process of `runtime`, listening on a free port; its base URL. */
async function replica(runtime: "deno" | "bun", args: string[]): Promise<Replica> {
  const command = runtime === "deno" ? [Deno.execPath(), "run", "-A", MAIN] : [BUN, MAIN];
  const child: ChildProcess = spawn(command[0], [
    ...command.slice(1),
    "serve",
    "--listen",
    "127.0.0.1:0",
    ...args,
  ], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (chunk) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = new Promise<string>((resolve, reject) => {
    let stdout = "";
    child.stdout!.on("data", (chunk) => {
      stdout += chunk;
      if (stdout.includes("\n")) resolve(stdout.split("\n")[0]);
    });
    exited.then(() => reject(new Error(`serve (${runtime}) exited:\n${stderr}`)));
  });
  try {
    return {
      url: await within(url, `serve under ${runtime} starting`),
      async stop() {
        child.kill("SIGTERM");
        await within(exited, `serve under ${runtime} stopping`, 10_000).catch(() => {
          child.kill("SIGKILL");
        });
      },
    };
  } catch (err) {
    child.kill("SIGKILL");
    throw err;
  }
}

Deno.test({
  name: "serve/redis: two serve processes share one Redis and continue each other's conversations",
  ignore,
  async fn() {
    const redis = await startRedis();
    const backend = await new ScriptedBackend("chat", [
      answer("http one"),
      answer("http two"),
      answer("ws one"),
      answer("ws two"),
      answer("private"),
      { status: 500, body: "backend broke" },
    ]).start();
    const args = ["--downstream", backend.url, "--store", redis.url];
    const replicas: Replica[] = [];
    try {
      replicas.push(await replica("deno", args));
      replicas.push(await replica(existsSync(BUN) ? "bun" : "deno", args));
      const [a, b] = replicas.map((r) => r.url);
      const post = (url: string, body: Json) =>
        fetch(`${url}/responses`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model: "m", ...body }),
        });

      // HTTP: started on A, continued on B.
      const first = await (await post(a, { input: "remember http" })).json();
      const second = await post(b, { input: "and now?", previous_response_id: first.id });
      assert.equal(second.status, 200);
      assert.equal((await second.json()).status, "completed");
      assert.deepEqual(texts(backend.bodies[1]), [
        "user:remember http",
        "assistant:http one",
        "user:and now?",
      ]);

      // WebSocket: started on A's socket, continued on B's.
      const onA = await SocketClient.connect(a);
      const onB = await SocketClient.connect(b);
      try {
        const opened = await onA.turn({ input: "remember ws" });
        const id = String(finalResponse(opened).id);
        const continued = await onB.turn({ input: [userText("go on")], previous_response_id: id });
        assert.equal(finalResponse(continued).status, "completed");
        assert.deepEqual(texts(backend.bodies[3]), [
          "user:remember ws",
          "assistant:ws one",
          "user:go on",
        ]);

        // store:false stays on its own socket: B cannot see it.
        const hidden = await onA.turn({ input: "secret", store: false });
        const [missing] = await onB.turn({
          input: "x",
          previous_response_id: finalResponse(hidden).id,
        });
        assert.equal((missing.error as Json).code, "previous_response_not_found");

        // A continuation that fails on B evicts its parent from Redis: A no longer has it either.
        const failed = await onB.turn({ input: "boom", previous_response_id: id });
        assert.equal(finalResponse(failed).status, "failed");
        const gone = await post(a, { input: "x", previous_response_id: id });
        assert.equal(gone.status, 400);
        assert.equal((await gone.json()).error.code, "previous_response_not_found");
      } finally {
        await onA.close();
        await onB.close();
      }
      assert.equal(backend.bodies.length, 6);
    } finally {
      for (const r of replicas) await r.stop();
      await backend.close();
      await redis.stop();
    }
  },
});

Deno.test({
  name: "serve/redis: --store names memory or a Redis that answers, or serve exits 2 saying why",
  ignore,
  async fn() {
    const redis = await startRedis();
    const port = new URL(redis.url).port;
    await redis.stop();
    const cases: Array<[string, RegExp]> = [
      ["mongodb://x", /--store mongodb:\/\/x: expected "memory" or a Redis URL/],
      [
        `redis://:pw-do-not-show@127.0.0.1:${port}`,
        new RegExp(
          `--store: cannot connect to Redis at redis://:<redacted>@127\\.0\\.0\\.1:${port}`,
        ),
      ],
    ];
    for (const [store, pattern] of cases) {
      const child = spawn(Deno.execPath(), [
        "run",
        "-A",
        MAIN,
        "serve",
        "--downstream",
        "http://127.0.0.1:1/v1",
        "--listen",
        "127.0.0.1:0",
        "--store",
        store,
      ], { stdio: ["ignore", "pipe", "pipe"] });
      let stderr = "";
      child.stderr!.on("data", (chunk) => (stderr += chunk));
      const code = await within(
        new Promise<number | null>((resolve) => child.once("exit", resolve)),
        `serve --store ${store}`,
      ).finally(() => child.kill("SIGKILL"));
      assert.equal(code, 2, stderr);
      assert.match(stderr, pattern);
      assert.doesNotMatch(stderr, /pw-do-not-show|\n\s+at /);
    }
  },
});
