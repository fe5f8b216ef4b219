// The SDKs people use, as clients of serve over real HTTP, in front of a scripted chat backend and
// a scripted Anthropic-messages backend: the official `openai` SDK, the Vercel AI SDK (`ai` with
// `@ai-sdk/openai`, whose default model speaks the Responses API) and the OpenAI Agents SDK. The
// SDKs validate what they receive, so a shape they do not accept fails the test.
import assert from "node:assert/strict";
import OpenAI from "openai";
import { createOpenAI } from "@ai-sdk/openai";
import { generateText, jsonSchema, stepCountIs, streamText, tool as aiTool } from "ai";
import {
  Agent,
  OpenAIProvider,
  Runner,
  setTracingDisabled,
  tool as agentTool,
} from "@openai/agents";
import { anthropic, type BackendReply, chat, ScriptedBackend, startProxy } from "./testing.ts";
import type { DownstreamApi } from "./downstream.ts";

// The Agents SDK would otherwise try to export traces to OpenAI.
setTracingDisabled(true);

type Json = Record<string, unknown>;

const WEATHER_PARAMETERS = {
  type: "object",
  properties: { city: { type: "string" } },
  required: ["city"],
  additionalProperties: false,
};

/** Scripted backend answers of either wire. */
function says(api: DownstreamApi, ...pieces: string[]): BackendReply {
  return api === "chat"
    ? { chunks: [...chat.text(...pieces), chat.finish("stop"), chat.usage(9, 3)] }
    : {
      chunks: [
        anthropic.start(9),
        ...anthropic.text(0, ...pieces),
        ...anthropic.stop("end_turn", 3),
      ],
    };
}

/** A tool call, after a few words of text when `preface` is given. */
function calls(
  api: DownstreamApi,
  id: string,
  name: string,
  args: string,
  preface?: string,
): BackendReply {
  if (api === "chat") {
    return {
      chunks: [
        ...(preface ? chat.text(preface) : []),
        ...chat.toolCall(0, id, name, args),
        chat.finish("tool_calls"),
        chat.usage(9, 3),
      ],
    };
  }
  const at = preface ? 1 : 0;
  return {
    chunks: [
      anthropic.start(9),
      ...(preface ? anthropic.text(0, preface) : []),
      ...anthropic.toolUse(at, id, name, args),
      ...anthropic.stop("tool_use", 3),
    ],
  };
}

async function through(
  api: DownstreamApi,
  replies: BackendReply[],
  fn: (baseURL: string, backend: ScriptedBackend) => Promise<void>,
): Promise<void> {
  const backend = await new ScriptedBackend(api, replies).start();
  const proxy = await startProxy(backend);
  try {
    await fn(proxy.url, backend);
  } finally {
    await proxy.close();
    await backend.close();
  }
}

/** The backend's view of the last tool result it was given, on either wire. */
function lastToolResult(api: DownstreamApi, body: Json): string {
  const messages = body.messages as Json[];
  if (api === "chat") return String(messages.findLast((m) => m.role === "tool")?.content);
  const blocks = messages.flatMap((m) => m.content as Json[]);
  return String(blocks.findLast((b) => b.type === "tool_result")?.content);
}

for (const api of ["chat", "messages"] as const) {
  Deno.test(`sdk/openai (${api}): create and stream, string and item input, tools with both follow-ups, retrieve`, async () => {
    const replies = [
      says(api, "Hello ", "SDK"),
      says(api, "Hello ", "again"),
      calls(api, "call_w", "get_weather", '{"city":"Paris"}'),
      says(api, "Sunny in Paris."),
      says(api, "Still sunny."),
      says(api, "Plain."),
    ];
    await through(api, replies, async (baseURL, backend) => {
      const client = new OpenAI({ apiKey: "unused", baseURL, maxRetries: 0 });

      const stream = client.responses.stream({ model: "m", input: "hi" });
      let deltas = "";
      stream.on("response.output_text.delta", (event) => (deltas += event.delta));
      const streamed = await stream.finalResponse();
      assert.equal(deltas, "Hello SDK");
      assert.equal(streamed.output_text, "Hello SDK");
      assert.ok((streamed.usage?.total_tokens ?? 0) > 0);

      const items = await client.responses.create({
        model: "m",
        input: [
          { role: "developer", content: "Be brief." },
          { role: "user", content: [{ type: "input_text", text: "hi again" }] },
        ],
      });
      assert.equal(items.output_text, "Hello again");

      const tools = [{
        type: "function" as const,
        name: "get_weather",
        parameters: WEATHER_PARAMETERS,
        strict: true,
      }];
      const asked = await client.responses.create({ model: "m", input: "weather?", tools });
      const call = asked.output.find((item) => item.type === "function_call");
      assert.ok(call?.type === "function_call");
      assert.deepEqual(JSON.parse(call.arguments), { city: "Paris" });
      const result = {
        type: "function_call_output" as const,
        call_id: call.call_id,
        output: "22C",
      };

      // Follow-up with the whole history…
      const full = await client.responses.create({
        model: "m",
        input: [{ role: "user", content: "weather?" }, call, result],
        tools,
      });
      assert.equal(full.output_text, "Sunny in Paris.");
      assert.equal(lastToolResult(api, backend.bodies[3]), "22C");
      // …and with previous_response_id.
      const chained = await client.responses.create({
        model: "m",
        previous_response_id: asked.id,
        input: [result],
        tools,
      });
      assert.equal(chained.output_text, "Still sunny.");
      assert.equal(chained.previous_response_id, asked.id);
      assert.equal(lastToolResult(api, backend.bodies[4]), "22C");

      const retrieved = await client.responses.retrieve(chained.id);
      assert.equal(retrieved.output_text, "Still sunny.");
      const listed = await client.responses.inputItems.list(chained.id);
      assert.deepEqual(listed.data.map((item) => item.type), ["function_call_output"]);

      const plain = await client.responses.create({ model: "m", input: "plain", stream: false });
      assert.equal(plain.status, "completed");
      assert.equal(plain.output_text, "Plain.");
      await client.responses.delete(plain.id);
      await assert.rejects(client.responses.retrieve(plain.id), (err: Error) => {
        assert.equal((err as { status?: number }).status, 404);
        return true;
      });
    });
  });

  Deno.test(`sdk/vercel-ai (${api}): generateText, and streamText calling a tool over several steps`, async () => {
    const replies = [
      says(api, "Hi from ", "serve."),
      calls(api, "call_v", "weather", '{"city":"Rome"}', "Checking."),
      says(api, "Rome is warm."),
    ];
    await through(api, replies, async (baseURL, backend) => {
      const provider = createOpenAI({ apiKey: "unused", baseURL });
      const generated = await generateText({ model: provider("m"), prompt: "hello" });
      assert.equal(generated.text, "Hi from serve.");
      assert.ok((generated.usage.totalTokens ?? 0) > 0);

      const seen: string[] = [];
      const result = streamText({
        model: provider("m"),
        prompt: "weather in Rome?",
        tools: {
          weather: aiTool({
            description: "Current weather for a city.",
            inputSchema: jsonSchema<{ city: string }>(WEATHER_PARAMETERS),
            execute: ({ city }) => {
              seen.push(city);
              return Promise.resolve({ city, temperature: "30C" });
            },
          }),
        },
        stopWhen: stepCountIs(3),
      });
      let text = "";
      for await (const piece of result.textStream) text += piece;
      assert.equal(text, "Checking.Rome is warm.");
      assert.deepEqual(seen, ["Rome"]);
      assert.equal((await result.steps).length, 2);
      assert.match(lastToolResult(api, backend.bodies[2]), /30C/);
      // The SDK sends the first step's text back as an item_reference; the backend gets the text.
      assert.match(JSON.stringify(backend.bodies[2].messages), /Checking\./);
    });
  });

  Deno.test(`sdk/openai-agents (${api}): a run with one function tool, streaming and not`, async () => {
    const replies = [
      calls(api, "call_t", "get_time", '{"zone":"UTC"}'),
      says(api, "It is noon."),
      calls(api, "call_u", "get_time", '{"zone":"CET"}'),
      says(api, "It is one."),
    ];
    await through(api, replies, async (baseURL, backend) => {
      const client = new OpenAI({ apiKey: "unused", baseURL, maxRetries: 0 });
      const runner = new Runner({
        modelProvider: new OpenAIProvider({ openAIClient: client, useResponses: true }),
        tracingDisabled: true,
      });
      const zones: string[] = [];
      const agent = new Agent({
        name: "clock",
        instructions: "Answer with the time.",
        model: "m",
        tools: [agentTool({
          name: "get_time",
          description: "The time in a zone.",
          parameters: {
            type: "object",
            properties: { zone: { type: "string" } },
            required: ["zone"],
            additionalProperties: false,
          },
          strict: true,
          execute: (input) => {
            const { zone } = input as { zone: string };
            zones.push(zone);
            return Promise.resolve(`12:00 in ${zone}`);
          },
        })],
      });

      const ran = await runner.run(agent, "What time is it?");
      assert.equal(ran.finalOutput, "It is noon.");
      assert.equal(lastToolResult(api, backend.bodies[1]), "12:00 in UTC");

      const streamed = await runner.run(agent, "And in Berlin?", { stream: true });
      let text = "";
      for await (const piece of streamed.toTextStream()) text += piece;
      await streamed.completed;
      assert.equal(text, "It is one.");
      assert.equal(streamed.finalOutput, "It is one.");
      assert.deepEqual(zones, ["UTC", "CET"]);
    });
  });
}
