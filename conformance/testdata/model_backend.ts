// A stand-in model behind `tscodex serve` for the grader's tests: a chat-completions or
// Anthropic-messages backend over real HTTP that answers any number of requests, with a short text,
// and with a call of the first declared tool while the conversation holds no tool result yet.
import { type RunningServer, serveHttp } from "../../src/platform/mod.ts";

type Json = Record<string, unknown>;
export type BackendApi = "chat" | "messages";

const REPLY = "Hello from the stand-in model.";

function sse(frames: Array<{ event?: string; data: unknown }>): Response {
  const text = frames.map((f) =>
    `${f.event ? `event: ${f.event}\n` : ""}data: ${
      typeof f.data === "string" ? f.data : JSON.stringify(f.data)
    }\n\n`
  ).join("");
  return new Response(text, { headers: { "content-type": "text/event-stream" } });
}

/** The first tool's name and whether a tool result is already in the conversation. */
function toolTurn(api: BackendApi, body: Json): string | undefined {
  const messages = Array.isArray(body.messages) ? body.messages as Json[] : [];
  const answered = messages.some((m) =>
    m.role === "tool" ||
    (Array.isArray(m.content) && (m.content as Json[]).some((b) => b.type === "tool_result"))
  );
  const tools = Array.isArray(body.tools) ? body.tools as Json[] : [];
  if (answered || !tools.length) return undefined;
  const first = tools[0];
  return String(api === "chat" ? (first.function as Json)?.name : first.name);
}

function chat(body: Json): Response {
  const tool = toolTurn("chat", body);
  const chunk = (delta: Json, finish: string | null = null) => ({
    id: "chatcmpl-1",
    object: "chat.completion.chunk",
    created: 1_700_000_000,
    model: body.model,
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
  const usage = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };
  const args = '{"city":"Paris"}';
  if (body.stream !== true) {
    return Response.json({
      id: "chatcmpl-1",
      object: "chat.completion",
      created: 1_700_000_000,
      model: body.model,
      choices: [{
        index: 0,
        message: {
          role: "assistant",
          content: REPLY,
          ...(tool
            ? {
              tool_calls: [{
                id: "call_1",
                type: "function",
                function: { name: tool, arguments: args },
              }],
            }
            : {}),
        },
        finish_reason: tool ? "tool_calls" : "stop",
      }],
      usage,
    });
  }
  const frames: unknown[] = [
    chunk({ role: "assistant", content: "" }),
    ...["Hello from ", "the stand-in ", "model."].map((content) => chunk({ content })),
  ];
  if (tool) {
    frames.push(
      chunk({
        tool_calls: [{
          index: 0,
          id: "call_1",
          type: "function",
          function: { name: tool, arguments: "" },
        }],
      }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: args } }] }),
    );
  }
  frames.push(chunk({}, tool ? "tool_calls" : "stop"));
  frames.push({ ...chunk({}), choices: [], usage });
  return sse([...frames.map((data) => ({ data })), { data: "[DONE]" }]);
}

function messages(body: Json): Response {
  const tool = toolTurn("messages", body);
  const content: Json[] = [{ type: "text", text: REPLY }];
  if (tool) content.push({ type: "tool_use", id: "toolu_1", name: tool, input: { city: "Paris" } });
  const usage = { input_tokens: 10, output_tokens: 5 };
  if (body.stream !== true) {
    return Response.json({
      id: "msg_1",
      type: "message",
      role: "assistant",
      model: body.model,
      content,
      stop_reason: tool ? "tool_use" : "end_turn",
      usage,
    });
  }
  const events: Json[] = [{
    type: "message_start",
    message: {
      id: "msg_1",
      type: "message",
      role: "assistant",
      model: body.model,
      content: [],
      usage: { input_tokens: 10, output_tokens: 1 },
    },
  }];
  events.push(
    { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
    ...["Hello from ", "the stand-in ", "model."].map((text) => ({
      type: "content_block_delta",
      index: 0,
      delta: { type: "text_delta", text },
    })),
    { type: "content_block_stop", index: 0 },
  );
  if (tool) {
    events.push(
      {
        type: "content_block_start",
        index: 1,
        content_block: { type: "tool_use", id: "toolu_1", name: tool, input: {} },
      },
      {
        type: "content_block_delta",
        index: 1,
        delta: { type: "input_json_delta", partial_json: '{"city":"Paris"}' },
      },
      { type: "content_block_stop", index: 1 },
    );
  }
  events.push(
    {
      type: "message_delta",
      delta: { stop_reason: tool ? "tool_use" : "end_turn" },
      usage: { output_tokens: 5 },
    },
    { type: "message_stop" },
  );
  return sse(events.map((data) => ({ event: String(data.type), data })));
}

export class ModelBackend {
  #server?: RunningServer;
  readonly bodies: Json[] = [];

  constructor(readonly api: BackendApi) {}

  async start(): Promise<this> {
    this.#server = await serveHttp({ hostname: "127.0.0.1", port: 0 }, (r) => this.#handle(r));
    return this;
  }

  get url(): string {
    return `${this.#server!.url}/v1`;
  }

  close(): Promise<void> {
    return this.#server?.close() ?? Promise.resolve();
  }

  async #handle(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (request.method === "GET") {
      return Response.json({ object: "list", data: [{ id: "stand-in" }] });
    }
    const body = await request.json() as Json;
    this.bodies.push(body);
    if (this.api === "chat" && path.endsWith("/chat/completions")) return chat(body);
    if (this.api === "messages" && path.endsWith("/messages")) return messages(body);
    return Response.json({ error: { message: `no route ${path}` } }, { status: 404 });
  }
}
