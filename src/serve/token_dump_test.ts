// Token-id dumps for training pipelines, against a scripted vLLM-style backend that returns
// `prompt_token_ids` on its first chunk and `token_ids` on each choice when asked with
// `return_token_ids: true`.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import process from "node:process";
import { within } from "../testing/mod.ts";
import { chat, runThrough, ScriptedBackend, userText } from "./testing.ts";
import { TokenDump } from "./token_dump.ts";

type Json = Record<string, unknown>;

const MAIN = fileURLToPath(new URL("../../main.ts", import.meta.url));

/** A vLLM chat chunk: `delta` with the ids it generated, and the prompt's ids when first. */
function vllm(delta: Json, tokenIds: number[], promptTokenIds?: number[], finish?: string): Json {
  const chunk = chat.delta(delta, finish);
  (chunk.choices as Json[])[0].token_ids = tokenIds;
  return promptTokenIds ? { ...chunk, prompt_token_ids: promptTokenIds } : chunk;
}

async function records(dump: TokenDump): Promise<Json[]> {
  await dump.flush();
  const text = await readFile(dump.file, "utf8");
  return text.trim().split("\n").map((line) => JSON.parse(line));
}

Deno.test("serve/tokens: each backend stream appends its prompt and generated ids, retries and follow-ups included", async () => {
  const dir = await mkdtemp(join(tmpdir(), "tscodex-tokens-"));
  const dump = new TokenDump(dir);
  const before = Date.now() / 1000;
  try {
    const { bodies, outcomes } = await runThrough("chat", [
      // Request 1: a reasoning-only round (retried silently), then the answer.
      { chunks: [vllm({ reasoning_content: "hmm" }, [7, 8], [1, 2, 3]), chat.finish("stop")] },
      {
        chunks: [
          vllm({ content: "Hel" }, [11], [1, 2, 3]),
          vllm({ content: "lo" }, [12, 13]),
          vllm({}, [2], undefined, "stop"),
        ],
      },
      // Request 2: a mock web search, answered by a follow-up round.
      {
        chunks: [
          { ...chat.toolCall(0, "c_ws", "web_search", '{"query":"x"}')[0], prompt_token_ids: [4] },
          vllm({}, [21, 22], undefined, "tool_calls"),
        ],
      },
      { chunks: [vllm({ content: "found nothing" }, [31], [4, 5, 6]), chat.finish("stop")] },
      // Request 3: an HTTP error streams nothing; request 4: a stream that turns to garbage.
      { status: 400, body: "bad request" },
      { chunks: [vllm({ content: "par" }, [41], [8]), "{garbage"] },
    ], [
      { input: [userText("hi")] },
      { input: [userText("search")], tools: [{ type: "web_search" }] },
      { input: [userText("rejected")] },
      { input: [userText("cut")] },
    ], { tokenDump: dump });
    // The client sees the last two fail (its Responses client throws on response.failed).
    assert.deepEqual(outcomes.map((o) => o.error === undefined), [true, true, false, false]);
    assert.equal(bodies.length, 6);
    assert.ok(bodies.every((b) => b.return_token_ids === true), "the backend was asked for ids");
    const lines = await records(dump);
    assert.deepEqual(lines.map((r) => r.tokens), [
      { prefill: [1, 2, 3], decode: [7, 8] },
      { prefill: [1, 2, 3], decode: [11, 12, 13, 2] },
      { prefill: [4], decode: [21, 22] },
      { prefill: [4, 5, 6], decode: [31] },
      { prefill: [8], decode: [41] },
    ]);
    for (const line of lines) {
      assert.deepEqual(Object.keys(line), ["tokens", "send_timestamp"]);
      const sent = line.send_timestamp as number;
      assert.ok(sent >= before && sent <= Date.now() / 1000, `send_timestamp ${sent}`);
    }
    const stamps = lines.map((l) => l.send_timestamp as number);
    assert.deepEqual([...stamps].sort((a, b) => a - b), stamps, "in the order they were sent");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

Deno.test("serve/tokens: a client's own return_token_ids reaches the backend as it was sent", async () => {
  const answer = { chunks: [...chat.text("ok"), chat.finish("stop")] };
  for (const api of ["chat", "messages"] as const) {
    const reply = api === "chat" ? answer : {
      chunks: [
        { type: "message_start", message: { usage: { input_tokens: 1, output_tokens: 0 } } },
        { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
        { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "ok" } },
        { type: "content_block_stop", index: 0 },
        { type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 1 } },
        { type: "message_stop" },
      ],
    };
    const { bodies } = await runThrough(api, [reply, reply, reply], [
      { input: [userText("a")], return_token_ids: true },
      { input: [userText("b")], return_token_ids: false },
      { input: [userText("c")] },
    ]);
    assert.deepEqual(bodies.map((b) => b.return_token_ids), [true, false, undefined], api);
  }
});

Deno.test("serve/tokens: PYCODEX_DUMP and TSCODEX_DUMP switch the dump on for `tscodex serve`", async () => {
  for (const variable of ["PYCODEX_DUMP", "TSCODEX_DUMP"]) {
    const dir = await mkdtemp(join(tmpdir(), "tscodex-tokens-env-"));
    const backend = await new ScriptedBackend("chat", [
      { chunks: [vllm({ content: "hi" }, [5, 6], [9, 9]), chat.finish("stop")] },
    ]).start();
    // Deno.Command, not node:child_process: a child spawned through the latter dies of SIGTERM
    // even when it handles the signal.
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, "serve", "--downstream", backend.url, "--listen", "127.0.0.1:0"],
      env: { PATH: process.env.PATH ?? "", [variable]: dir },
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const stderr = new Response(child.stderr).text();
    const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    try {
      let stdout = "";
      while (!stdout.includes("\n")) {
        const next = await within(lines.read(), "serve starting");
        if (next.done) throw new Error(`serve exited:\n${await stderr}`);
        stdout += next.value;
      }
      const url = stdout.split("\n")[0];
      const response = await fetch(`${url}/responses`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "m", input: "hi" }),
      });
      assert.equal((await response.json()).status, "completed");
      child.kill("SIGTERM");
      const status = await within(child.status, "serve stopping");
      assert.equal(status.code, 0, await stderr);
      assert.match(await stderr, /dumping token ids to .*dump\.jsonl/);
      const [line] = (await readFile(join(dir, "dump.jsonl"), "utf8")).trim().split("\n");
      assert.deepEqual(JSON.parse(line).tokens, { prefill: [9, 9], decode: [5, 6] }, variable);
    } finally {
      await lines.cancel().catch(() => {});
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
      await child.status;
      await backend.close();
      await rm(dir, { recursive: true, force: true });
    }
  }
});
