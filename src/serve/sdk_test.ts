// The official openai SDK as a client of the proxy: `responses.stream` and `responses.create`,
// text and tool calls, over real HTTP, in front of scripted chat and messages backends. The SDK
// validates the event stream as it goes, so any shape it does not accept fails the test.
import assert from "node:assert/strict";
import OpenAI from "openai";
import { serveHttp } from "../platform/mod.ts";
import { ResponsesProxy } from "./proxy.ts";
import { chatProfile } from "./chat_profiles.ts";
import { anthropic, chat, ScriptedBackend } from "./testing.ts";

const TOOLS = [{
  type: "function" as const,
  name: "get_weather",
  parameters: { type: "object", properties: { city: { type: "string" } } },
  strict: false,
}];

for (const api of ["chat", "messages"] as const) {
  Deno.test(`openai SDK through the proxy (${api}): stream and create, text and tool calls`, async () => {
    const text = api === "chat"
      ? {
        chunks: [
          chat.delta({ reasoning: "hm" }),
          ...chat.text("Hello ", "SDK"),
          chat.finish("stop"),
          chat.usage(9, 3),
        ],
      }
      : {
        chunks: [
          anthropic.start(9),
          ...anthropic.thinking(0, "hm", "s"),
          ...anthropic.text(1, "Hello ", "SDK"),
          ...anthropic.stop("end_turn", 3),
        ],
      };
    const tool = api === "chat"
      ? {
        chunks: [
          ...chat.toolCall(0, "call_1", "get_weather", '{"city":', '"Paris"}'),
          chat.finish("tool_calls"),
        ],
      }
      : {
        chunks: [
          anthropic.start(9),
          ...anthropic.toolUse(0, "toolu_1", "get_weather", '{"city":', '"Paris"}'),
          ...anthropic.stop("tool_use", 3),
        ],
      };
    const backend = await new ScriptedBackend(api, [text, tool, text, tool]).start();
    const proxy = new ResponsesProxy({
      downstream: { url: backend.url, api, profile: chatProfile(), idleTimeoutMs: 10_000 },
    });
    const server = await serveHttp({ port: 0, hostname: "127.0.0.1" }, proxy.handle);
    try {
      const client = new OpenAI({
        apiKey: "not-checked",
        baseURL: `${server.url}/v1`,
        maxRetries: 0,
      });

      const stream = client.responses.stream({ model: "m", input: "hi" });
      let deltas = "";
      stream.on("response.output_text.delta", (event) => (deltas += event.delta));
      const final = await stream.finalResponse();
      assert.equal(deltas, "Hello SDK");
      assert.equal(final.output_text, "Hello SDK");
      assert.ok((final.usage?.total_tokens ?? 0) > 0);

      const toolFinal = await client.responses.stream({
        model: "m",
        input: "weather?",
        tools: TOOLS,
      })
        .finalResponse();
      const call = toolFinal.output.find((item) => item.type === "function_call");
      assert.equal(call?.name, "get_weather");
      assert.deepEqual(JSON.parse(call!.arguments), { city: "Paris" });
      assert.ok(call?.call_id);

      const created = await client.responses.create({ model: "m", input: "hi" });
      assert.equal(created.output_text, "Hello SDK");
      assert.equal(created.status, "completed");
      const createdTool = await client.responses.create({
        model: "m",
        input: "weather?",
        tools: TOOLS,
      });
      const createdCall = createdTool.output.find((item) => item.type === "function_call");
      assert.deepEqual(JSON.parse(createdCall!.arguments), { city: "Paris" });
    } finally {
      await server.close();
      await backend.close();
    }
  });
}
