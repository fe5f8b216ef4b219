// Downstream events → one consistent Responses event stream. Every item is announced with
// `output_item.added`, streamed with deltas that carry its id, and closed with `output_item.done`;
// the terminal event's `output` holds those same items, ids and call ids included. One response
// may span several downstream rounds: a silent retry after a reasoning-only round, and the
// follow-up round that answers a mock web search.
import {
  type ResponseItem,
  responseResource,
  type ResponseState,
  type Usage,
} from "../protocol/mod.ts";
import {
  type Conversation,
  type Reasoning,
  searchResult,
  SIGNATURE_PREFIX,
  type Turn,
} from "./conversation.ts";
import { DownstreamError } from "./errors.ts";
import { addUsage, type DownstreamEvent, type FinishReason } from "./events.ts";
import { itemId, newResponseId } from "./item_ids.ts";
import { type ToolMap, type ToolOrigin, WEB_SEARCH_FUNCTION } from "./tool_map.ts";

export type Payload = { type: string; [key: string]: unknown };
type Item = { type: string; [key: string]: unknown };

interface OpenMessage {
  id: string;
  outputIndex: number;
  text: string;
}

interface PendingCall {
  index: number;
  id?: string;
  name?: string;
  args: string;
  /** Set once the name is known and the item (unless it is a mock search) was announced. */
  announced?: { origin: ToolOrigin; callId: string; itemId: string; outputIndex: number };
}

export type RoundOutcome =
  | { kind: "final"; finish?: FinishReason }
  /** Neither text nor a tool call: the round's reasoning was dropped unseen. */
  | { kind: "empty" }
  /** Only mock web searches: these turns answer them and another round follows. */
  | { kind: "search"; turns: Turn[] };

/** The freeform text of a custom tool call, from the `{"input": …}` the wrapper function got. */
function customInput(args: string): string {
  try {
    const value = JSON.parse(args);
    if (typeof value === "string") return value;
    if (value && typeof value.input === "string") return value.input;
  } catch {
    // Not JSON: the model wrote the raw text itself.
  }
  return args;
}

export class ResponseTranslator {
  readonly id = newResponseId();
  readonly createdAt = Math.floor(Date.now() / 1000);
  usage?: Usage;
  #sequence = 0;
  #ids = 0;
  #output: Item[] = [];
  #nextIndex = 0;
  #tools: ToolMap;
  // The current round.
  #reasoning: Reasoning[] = [];
  #roundReasoning: Reasoning[] = [];
  #message?: OpenMessage;
  #roundText = "";
  #calls = new Map<number, PendingCall>();
  #roundUsage?: Usage;
  #finish?: FinishReason;

  /** `request` is the create body as the client sent it: the response object echoes it. */
  constructor(readonly request: Record<string, unknown>, tools: ToolMap) {
    this.#tools = tools;
  }

  get model(): string {
    return String(this.request.model);
  }

  #newId(prefix: string): string {
    return itemId(prefix, this.id, this.#ids++);
  }

  /** The finished items, in output order. */
  get output(): ResponseItem[] {
    return this.#output.filter(Boolean) as ResponseItem[];
  }

  #event(type: string, fields: Record<string, unknown>): Payload {
    return { type, sequence_number: this.#sequence++, ...fields };
  }

  response(
    status: ResponseState["status"],
    extra: Partial<ResponseState> = {},
  ): Record<string, unknown> {
    const done = status !== "in_progress";
    return responseResource({
      id: this.id,
      created_at: this.createdAt,
      status,
      model: this.model,
      output: done ? this.output : [],
      usage: done ? this.usage ?? null : null,
      completed_at: status === "completed" ? Math.floor(Date.now() / 1000) : null,
      ...extra,
    }, this.request);
  }

  start(): Payload[] {
    return [
      this.#event("response.created", { response: this.response("in_progress") }),
      this.#event("response.in_progress", { response: this.response("in_progress") }),
    ];
  }

  #add(item: Item): { outputIndex: number; event: Payload } {
    const outputIndex = this.#nextIndex++;
    return {
      outputIndex,
      event: this.#event("response.output_item.added", { output_index: outputIndex, item }),
    };
  }

  #done(outputIndex: number, item: Item): Payload {
    this.#output[outputIndex] = item;
    return this.#event("response.output_item.done", { output_index: outputIndex, item });
  }

  beginRound(tools: ToolMap): void {
    this.#tools = tools;
    this.#reasoning = [];
    this.#roundReasoning = [];
    this.#message = undefined;
    this.#roundText = "";
    this.#calls = new Map();
    this.#roundUsage = undefined;
    this.#finish = undefined;
  }

  apply(event: DownstreamEvent): Payload[] {
    switch (event.type) {
      case "reasoning": {
        const out = this.#closeMessage();
        const last = this.#reasoning[this.#reasoning.length - 1];
        // A signature closes a thinking block; more reasoning starts the next one.
        if (!last || last.signature !== undefined) this.#reasoning.push({ text: event.delta });
        else last.text += event.delta;
        return out;
      }
      case "reasoning_signature": {
        if (this.#reasoning.length === 0) this.#reasoning.push({ text: "" });
        const last = this.#reasoning[this.#reasoning.length - 1];
        last.signature = (last.signature ?? "") + event.signature;
        return [];
      }
      case "text": {
        const out = this.#flushReasoning();
        if (!this.#message) out.push(...this.#openMessage());
        const message = this.#message!;
        message.text += event.delta;
        this.#roundText += event.delta;
        out.push(this.#event("response.output_text.delta", {
          item_id: message.id,
          output_index: message.outputIndex,
          content_index: 0,
          delta: event.delta,
        }));
        return out;
      }
      case "tool_call":
        return [...this.#flushReasoning(), ...this.#closeMessage(), ...this.#toolCall(event)];
      case "usage":
        this.#roundUsage = event.usage;
        return [];
      case "finish":
        this.#finish = event.reason;
        return [];
      default:
        return event satisfies never;
    }
  }

  /** Reasoning is held until the round shows text or a tool call, so an empty round stays unseen. */
  #flushReasoning(): Payload[] {
    const out: Payload[] = [];
    for (const piece of this.#reasoning) {
      if (!piece.text && !piece.signature) continue;
      const id = this.#newId("rs");
      const { outputIndex, event } = this.#add({ type: "reasoning", id, summary: [] });
      out.push(event);
      const at = { item_id: id, output_index: outputIndex, content_index: 0 };
      if (piece.text) {
        const part = { type: "reasoning_text", text: piece.text };
        out.push(
          this.#event("response.content_part.added", { ...at, part: { ...part, text: "" } }),
          this.#event("response.reasoning_text.delta", { ...at, delta: piece.text }),
          this.#event("response.reasoning_text.done", { ...at, text: piece.text }),
          this.#event("response.content_part.done", { ...at, part }),
        );
      }
      out.push(this.#done(outputIndex, {
        type: "reasoning",
        id,
        summary: [],
        content: piece.text ? [{ type: "reasoning_text", text: piece.text }] : [],
        ...(piece.signature ? { encrypted_content: SIGNATURE_PREFIX + piece.signature } : {}),
      }));
      this.#roundReasoning.push(piece);
    }
    this.#reasoning = [];
    return out;
  }

  #openMessage(): Payload[] {
    const id = this.#newId("msg");
    const { outputIndex, event } = this.#add({
      type: "message",
      id,
      role: "assistant",
      status: "in_progress",
      content: [],
    });
    this.#message = { id, outputIndex, text: "" };
    return [
      event,
      this.#event("response.content_part.added", {
        item_id: id,
        output_index: outputIndex,
        content_index: 0,
        part: { type: "output_text", text: "", annotations: [] },
      }),
    ];
  }

  #closeMessage(): Payload[] {
    const message = this.#message;
    if (!message) return [];
    this.#message = undefined;
    const at = { item_id: message.id, output_index: message.outputIndex, content_index: 0 };
    const part = { type: "output_text", text: message.text, annotations: [] };
    return [
      this.#event("response.output_text.done", { ...at, text: message.text }),
      this.#event("response.content_part.done", { ...at, part }),
      this.#done(message.outputIndex, {
        type: "message",
        id: message.id,
        role: "assistant",
        status: "completed",
        content: [part],
      }),
    ];
  }

  #toolCall(event: Extract<DownstreamEvent, { type: "tool_call" }>): Payload[] {
    let call = this.#calls.get(event.index);
    if (!call) {
      call = { index: event.index, args: "" };
      this.#calls.set(event.index, call);
    }
    if (event.id && !call.id) call.id = event.id;
    if (event.name && !call.announced) call.name = event.name;
    const piece = event.arguments ?? "";
    call.args += piece;
    if (!call.announced) return call.name ? this.#announce(call) : [];
    const { origin, itemId, outputIndex } = call.announced;
    if (origin.kind !== "function" || !piece) return [];
    return [this.#event("response.function_call_arguments.delta", {
      item_id: itemId,
      output_index: outputIndex,
      delta: piece,
    })];
  }

  #announce(call: PendingCall): Payload[] {
    const origin = this.#tools.origin(call.name!);
    const callId = call.id ?? this.#newId("call");
    if (origin.kind === "web_search") {
      // Mock searches surface as web_search_call items once the round ends.
      call.announced = { origin, callId, itemId: "", outputIndex: -1 };
      return [];
    }
    const namespace = origin.namespace ? { namespace: origin.namespace } : {};
    const item = origin.kind === "function"
      ? {
        type: "function_call",
        id: this.#newId("fc"),
        call_id: callId,
        name: origin.name,
        ...namespace,
        arguments: "",
        status: "in_progress",
      }
      : {
        type: "custom_tool_call",
        id: this.#newId("ctc"),
        call_id: callId,
        name: origin.name,
        input: "",
        status: "in_progress",
      };
    const { outputIndex, event } = this.#add(item);
    call.announced = { origin, callId, itemId: item.id, outputIndex };
    const out = [event];
    if (origin.kind === "function" && call.args) {
      out.push(this.#event("response.function_call_arguments.delta", {
        item_id: item.id,
        output_index: outputIndex,
        delta: call.args,
      }));
    }
    return out;
  }

  #closeCall(call: PendingCall): Payload[] {
    const { origin, callId, itemId, outputIndex } = call.announced!;
    const at = { item_id: itemId, output_index: outputIndex };
    if (origin.kind === "custom") {
      const input = customInput(call.args);
      return [
        ...(input
          ? [this.#event("response.custom_tool_call_input.delta", { ...at, delta: input })]
          : []),
        this.#event("response.custom_tool_call_input.done", { ...at, input }),
        this.#done(outputIndex, {
          type: "custom_tool_call",
          id: itemId,
          call_id: callId,
          name: origin.name,
          input,
          status: "completed",
        }),
      ];
    }
    const args = call.args || "{}";
    const name = origin.kind === "function" ? origin.name : call.name;
    const namespace = origin.kind === "function" && origin.namespace;
    return [
      this.#event("response.function_call_arguments.done", { ...at, arguments: args }),
      this.#done(outputIndex, {
        type: "function_call",
        id: itemId,
        call_id: callId,
        name,
        ...(namespace ? { namespace } : {}),
        arguments: args,
        status: "completed",
      }),
    ];
  }

  #searchItem(call: PendingCall): { events: Payload[]; query: string; queries?: unknown } {
    let args: { query?: unknown; queries?: unknown } = {};
    try {
      args = JSON.parse(call.args || "{}") ?? {};
    } catch {
      args = { query: call.args };
    }
    const query = typeof args.query === "string" ? args.query : "";
    const queries = Array.isArray(args.queries) ? args.queries : undefined;
    const id = this.#newId("ws");
    const action = { type: "search", query, ...(queries ? { queries } : {}) };
    const { outputIndex, event } = this.#add({
      type: "web_search_call",
      id,
      status: "in_progress",
      action,
    });
    return {
      events: [
        event,
        this.#done(outputIndex, { type: "web_search_call", id, status: "completed", action }),
      ],
      query,
      queries,
    };
  }

  /** Closes the round's open items and says what happens next. */
  endRound(): { events: Payload[]; outcome: RoundOutcome } {
    if (this.#roundUsage) this.usage = addUsage(this.usage, this.#roundUsage);
    this.#roundUsage = undefined;
    const calls = [...this.#calls.values()].sort((a, b) => a.index - b.index);
    const nameless = calls.find((c) => !c.announced);
    if (nameless) {
      throw new DownstreamError(
        `the downstream model streamed tool call #${nameless.index} without a function name`,
        "server_error",
        "downstream_bad_tool_call",
      );
    }
    if (!this.#roundText && calls.length === 0) {
      this.#reasoning = [];
      return { events: [], outcome: { kind: "empty" } };
    }
    const events = [...this.#closeMessage(), ...this.#flushReasoning()];
    const searches = calls.filter((c) => c.announced!.origin.kind === "web_search");
    const real = calls.filter((c) => c.announced!.origin.kind !== "web_search");
    for (const call of real) events.push(...this.#closeCall(call));
    const answers: Turn[] = [];
    for (const call of searches) {
      const search = this.#searchItem(call);
      events.push(...search.events);
      answers.push({
        role: "tool",
        callId: call.announced!.callId,
        parts: [{ type: "text", text: searchResult(search.query, search.queries) }],
      });
    }
    if (searches.length > 0 && real.length === 0) {
      const asked: Turn = {
        role: "assistant",
        text: this.#roundText,
        reasoning: this.#roundReasoning,
        toolCalls: searches.map((c) => ({
          id: c.announced!.callId,
          name: WEB_SEARCH_FUNCTION,
          arguments: c.args || "{}",
        })),
      };
      return { events, outcome: { kind: "search", turns: [asked, ...answers] } };
    }
    return { events, outcome: { kind: "final", finish: this.#finish } };
  }

  finish(finish?: FinishReason): Payload {
    if (finish === "length") {
      return this.#event("response.incomplete", {
        response: this.response("incomplete", {
          incomplete_details: { reason: "max_output_tokens" },
        }),
      });
    }
    return this.#event("response.completed", { response: this.response("completed") });
  }

  fail(error: DownstreamError): Payload {
    if (this.#roundUsage) this.usage = addUsage(this.usage, this.#roundUsage);
    return this.#event("response.failed", {
      response: this.response("failed", {
        error: { code: error.code, message: error.message, type: error.type },
      }),
    });
  }
}

/** Streams one conversation downstream, round by round, in batches as they arrive. */
export interface DownstreamClient {
  stream(
    conversation: Conversation,
    context: { signal: AbortSignal; responseId: string; round: number },
  ): AsyncIterable<DownstreamEvent[]>;
}

/**
 * The whole Responses event stream for one request, in batches, always ending in
 * `response.completed`, `response.incomplete` or `response.failed`.
 */
export async function* respond(
  conversation: Conversation,
  downstream: DownstreamClient,
  translator: ResponseTranslator,
  signal: AbortSignal,
): AsyncGenerator<Payload[]> {
  yield translator.start();
  let retried = false;
  try {
    for (let round = 0;; round++) {
      translator.beginRound(conversation.tools);
      const context = { signal, responseId: translator.id, round };
      for await (const events of downstream.stream(conversation, context)) {
        const payloads = events.flatMap((event) => translator.apply(event));
        if (payloads.length > 0) yield payloads;
      }
      const { events, outcome } = translator.endRound();
      if (events.length > 0) yield events;
      switch (outcome.kind) {
        case "empty":
          if (retried) {
            throw new DownstreamError(
              "the downstream model answered twice with neither text nor a tool call " +
                "(reasoning only, or nothing at all)",
              "model_output_invalid",
              "model_output_invalid",
            );
          }
          retried = true;
          continue;
        case "search": {
          const tools = conversation.tools.withoutWebSearch();
          conversation = {
            ...conversation,
            turns: [...conversation.turns, ...outcome.turns],
            tools,
            // A choice that forced the search has done its job.
            toolChoice: typeof conversation.toolChoice === "string"
              ? conversation.toolChoice
              : "auto",
          };
          continue;
        }
        case "final":
          yield [translator.finish(outcome.finish)];
          return;
      }
    }
  } catch (err) {
    if (signal.aborted) throw err; // the client left; there is nobody to tell
    const failure = err instanceof DownstreamError ? err : new DownstreamError(
      `the proxy failed: ${(err as Error).message}`,
      "server_error",
      "proxy_error",
    );
    yield [translator.fail(failure)];
  }
}
