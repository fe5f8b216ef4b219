// A scripted Responses provider for the grader's tests: over real HTTP it answers every request the
// way the specification says a provider should (complete response objects, sequence numbers, one
// terminal event, deltas that add up), and a `defect` hook rewrites an answer to break exactly one
// rule.
import { type RunningServer, serveHttp } from "../../src/platform/mod.ts";

type Json = Record<string, unknown>;

/** One answer before it goes on the wire. */
export interface Answer {
  status: number;
  contentType: string;
  /** SSE data payloads (objects are JSON-encoded, strings sent as they are). */
  events?: unknown[];
  body?: unknown;
}

export interface ReferenceOptions {
  /** Rewrites an answer; `path` and the parsed `request` (undefined when not JSON) say to what. */
  defect?: (answer: Answer, request: Json | undefined, path: string) => Answer;
  /** Answer calls to custom tools as function calls (a defect the hook cannot express simply). */
  customAsFunction?: boolean;
}

const isRecord = (value: unknown): value is Json =>
  value !== null && typeof value === "object" && !Array.isArray(value);

function chunks(text: string, count: number): string[] {
  const size = Math.max(1, Math.ceil(text.length / count));
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

function usage(): Json {
  return {
    input_tokens: 12,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: 8,
    output_tokens_details: { reasoning_tokens: 3 },
    total_tokens: 20,
  };
}

/** A response object with every field the Open Responses specification requires. */
function responseObject(request: Json, id: string, status: string, output: Json[]): Json {
  const done = status !== "in_progress";
  return {
    id,
    object: "response",
    created_at: 1_700_000_000,
    completed_at: done ? 1_700_000_001 : null,
    status,
    incomplete_details: null,
    model: typeof request.model === "string" ? request.model : "reference-model",
    previous_response_id: typeof request.previous_response_id === "string"
      ? request.previous_response_id
      : null,
    instructions: typeof request.instructions === "string" ? request.instructions : null,
    output,
    error: null,
    tools: Array.isArray(request.tools) ? request.tools : [],
    tool_choice: request.tool_choice ?? "auto",
    truncation: "disabled",
    parallel_tool_calls: request.parallel_tool_calls ?? true,
    text: { format: { type: "text" } },
    top_p: 1,
    presence_penalty: 0,
    frequency_penalty: 0,
    top_logprobs: 0,
    temperature: 1,
    reasoning: null,
    user: null,
    usage: done ? usage() : null,
    max_output_tokens: null,
    max_tool_calls: null,
    store: request.store === true,
    background: false,
    service_tier: "default",
    metadata: {},
    safety_identifier: null,
    prompt_cache_key: null,
  };
}

/** Output items for a request, each with the events that stream it. */
function items(request: Json, n: number, customAsFunction: boolean): Array<[Json, Json[]]> {
  const out: Array<[Json, Json[]]> = [];
  const at = (index: number) => ({ output_index: index });
  const reasoningId = `rs_${n}`;
  const summary = "Thinking about the answer.";
  out.push([
    { type: "reasoning", id: reasoningId, summary: [{ type: "summary_text", text: summary }] },
    [
      {
        type: "response.reasoning_summary_part.added",
        item_id: reasoningId,
        summary_index: 0,
        part: { type: "summary_text", text: "" },
      },
      ...chunks(summary, 2).map((delta) => ({
        type: "response.reasoning_summary_text.delta",
        item_id: reasoningId,
        summary_index: 0,
        delta,
      })),
      {
        type: "response.reasoning_summary_text.done",
        item_id: reasoningId,
        summary_index: 0,
        text: summary,
      },
      {
        type: "response.reasoning_summary_part.done",
        item_id: reasoningId,
        summary_index: 0,
        part: { type: "summary_text", text: summary },
      },
    ],
  ]);
  const messageId = `msg_${n}`;
  const text = "Hello from the reference provider.";
  const part = { type: "output_text", text, annotations: [] };
  const loc = { item_id: messageId, content_index: 0 };
  out.push([
    { type: "message", id: messageId, status: "completed", role: "assistant", content: [part] },
    [
      { type: "response.content_part.added", ...loc, part: { ...part, text: "" } },
      ...chunks(text, 3).map((delta) => ({ type: "response.output_text.delta", ...loc, delta })),
      { type: "response.output_text.done", ...loc, text },
      { type: "response.content_part.done", ...loc, part },
    ],
  ]);
  const tools = Array.isArray(request.tools) ? request.tools.filter(isRecord) : [];
  const answered = Array.isArray(request.input) &&
    request.input.some((i) => isRecord(i) && String(i.type).endsWith("_call_output"));
  if (answered) return out;
  const fn = tools.find((t) => t.type === "function");
  const custom = tools.find((t) => t.type === "custom");
  const functionCall = (name: string, args: string, index: number): [Json, Json[]] => {
    const id = `fc_${n}_${index}`;
    return [
      {
        type: "function_call",
        id,
        call_id: `call_${n}_${index}`,
        name,
        arguments: args,
        status: "completed",
      },
      [
        ...chunks(args, 2).map((delta) => ({
          type: "response.function_call_arguments.delta",
          item_id: id,
          delta,
        })),
        { type: "response.function_call_arguments.done", item_id: id, arguments: args },
      ],
    ];
  };
  if (fn) out.push(functionCall(String(fn.name), '{"city":"Paris"}', out.length));
  if (custom) {
    const input = "*** Begin Patch\n*** End Patch\n";
    if (customAsFunction) {
      out.push(functionCall(String(custom.name), JSON.stringify({ input }), out.length));
    } else {
      const id = `ctc_${n}`;
      out.push([
        {
          type: "custom_tool_call",
          id,
          call_id: `call_${n}_c`,
          name: custom.name,
          input,
          status: "completed",
        },
        [
          ...chunks(input, 2).map((delta) => ({
            type: "response.custom_tool_call_input.delta",
            item_id: id,
            delta,
          })),
          { type: "response.custom_tool_call_input.done", item_id: id, input },
        ],
      ]);
    }
  }
  return out.map(([item, events], index) => [item, events.map((e) => ({ ...e, ...at(index) }))]);
}

/** The item as announced by output_item.added: nothing streamed into it yet. */
function announced(item: Json): Json {
  switch (item.type) {
    case "reasoning":
      return { ...item, summary: [] };
    case "message":
      return { ...item, status: "in_progress", content: [] };
    case "function_call":
      return { ...item, status: "in_progress", arguments: "" };
    case "custom_tool_call":
      return { ...item, status: "in_progress", input: "" };
    default:
      return item;
  }
}

export class ReferenceProvider {
  #server?: RunningServer;
  #count = 0;
  readonly requests: Array<{ path: string; body: unknown }> = [];

  constructor(readonly options: ReferenceOptions = {}) {}

  async start(): Promise<this> {
    this.#server = await serveHttp({ hostname: "127.0.0.1", port: 0 }, (r) => this.#handle(r));
    return this;
  }

  get baseUrl(): string {
    return `${this.#server!.url}/v1`;
  }

  close(): Promise<void> {
    return this.#server?.close() ?? Promise.resolve();
  }

  #answer(path: string, request: Json | undefined): Answer {
    const error = (status: number, message: string): Answer => ({
      status,
      contentType: "application/json",
      body: { error: { message, type: "invalid_request_error", code: null, param: null } },
    });
    if (!request) return error(400, "the body is not JSON");
    const n = ++this.#count;
    if (path.endsWith("/responses/compact")) {
      return {
        status: 200,
        contentType: "application/json",
        body: {
          id: `cmp_${n}`,
          object: "response.compaction",
          output: [{ type: "compaction", id: `cmp_item_${n}`, encrypted_content: "summary" }],
          created_at: 1_700_000_000,
          usage: usage(),
        },
      };
    }
    const id = `resp_${n}`;
    const made = items(request, n, this.options.customAsFunction ?? false);
    const output = made.map(([item]) => item);
    if (request.stream !== true) {
      return {
        status: 200,
        contentType: "application/json",
        body: responseObject(request, id, "completed", output),
      };
    }
    const events: Json[] = [
      { type: "response.created", response: responseObject(request, id, "in_progress", []) },
      { type: "response.in_progress", response: responseObject(request, id, "in_progress", []) },
    ];
    made.forEach(([item, streamed], index) => {
      events.push({
        type: "response.output_item.added",
        output_index: index,
        item: announced(item),
      });
      events.push(...streamed);
      events.push({ type: "response.output_item.done", output_index: index, item });
    });
    events.push({
      type: "response.completed",
      response: responseObject(request, id, "completed", output),
    });
    return {
      status: 200,
      contentType: "text/event-stream",
      events: events.map((e, sequence_number) => ({ ...e, sequence_number })),
    };
  }

  async #handle(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (request.method === "GET") return Response.json({ object: "list", data: [] });
    const text = await request.text();
    let parsed: Json | undefined;
    try {
      const value = JSON.parse(text);
      parsed = isRecord(value) ? value : undefined;
    } catch {
      parsed = undefined;
    }
    this.requests.push({ path, body: parsed ?? text });
    let answer = this.#answer(path, parsed);
    if (this.options.defect) answer = this.options.defect(structuredClone(answer), parsed, path);
    const payload = answer.events
      ? answer.events.map((e) => `data: ${typeof e === "string" ? e : JSON.stringify(e)}\n\n`).join(
        "",
      )
      : typeof answer.body === "string"
      ? answer.body
      : JSON.stringify(answer.body);
    return new Response(payload, {
      status: answer.status,
      headers: { "content-type": answer.contentType },
    });
  }
}
