// Which code a backend failure reaches the client with, on both wires, over real HTTP. Whether it
// is a context overflow is the shared detector's call (src/protocol/overflow.ts), whatever the wire.
import assert from "node:assert/strict";
import { anthropic, type BackendReply, chat, ScriptedBackend, startProxy } from "./testing.ts";
import type { DownstreamApi } from "./downstream.ts";

const TOO_LONG = "prompt is too long: 210000 tokens > 200000 maximum";
const WINDOW = "This model's maximum context length is 8192 tokens. However, you requested 9000.";
const SETTING = "invalid context_management setting";
const RATE = "Rate limit reached: too many tokens per minute, please slow down";

const chatError = (message: string): BackendReply => ({
  chunks: [...chat.text("partial"), { object: "chat.completion.chunk", error: { message } }],
});
const messagesError = (message: string): BackendReply => ({
  chunks: [
    anthropic.start(5),
    { type: "error", error: { type: "invalid_request_error", message } },
  ],
});
const httpError = (status: number, message: string): BackendReply => ({
  status,
  body: JSON.stringify({ type: "error", error: { type: "invalid_request_error", message } }),
});

const CASES: Array<[string, DownstreamApi, BackendReply, string]> = [
  ["chat HTTP 400, Anthropic wording", "chat", httpError(400, TOO_LONG), "context_length_exceeded"],
  ["chat HTTP 400, settings error", "chat", httpError(400, SETTING), "invalid_prompt"],
  ["chat HTTP 429, tokens per minute", "chat", httpError(429, RATE), "rate_limit_exceeded"],
  ["chat mid-stream, window", "chat", chatError(WINDOW), "context_length_exceeded"],
  ["chat mid-stream, Anthropic wording", "chat", chatError(TOO_LONG), "context_length_exceeded"],
  ["chat mid-stream, settings error", "chat", chatError(SETTING), "server_error"],
  ["messages HTTP 400, too long", "messages", httpError(400, TOO_LONG), "context_length_exceeded"],
  ["messages HTTP 400, settings error", "messages", httpError(400, SETTING), "invalid_prompt"],
  ["messages mid-stream, too long", "messages", messagesError(TOO_LONG), "context_length_exceeded"],
  ["messages mid-stream, settings error", "messages", messagesError(SETTING), "server_error"],
];

Deno.test("serve/errors: backend failures reach the client with the code to act on", async () => {
  for (const [name, api, reply, code] of CASES) {
    const backend = await new ScriptedBackend(api, [reply]).start();
    const proxy = await startProxy(backend);
    try {
      const response = await fetch(`${proxy.url}/responses`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "m", input: "q", stream: false }),
      });
      const status = {
        context_length_exceeded: 400,
        invalid_prompt: 400,
        rate_limit_exceeded: 429,
      };
      assert.equal(response.status, status[code as keyof typeof status] ?? 502, name);
      const error = (await response.json()).error;
      assert.equal(error.code, code, `${name}: ${error.message}`);
    } finally {
      await proxy.close();
      await backend.close();
    }
  }
});
