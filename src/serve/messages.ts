// The Anthropic Messages wire: a conversation → the request body, and streamed events → the
// downstream event union. System text is lifted into `system`, tool results ride in the next user
// message, and thinking is replayed only with the signature the backend issued for it.
import {
  MESSAGES_STREAM_EVENT_TYPES,
  type MessagesBlock,
  type MessagesDocumentBlock,
  type MessagesImageBlock,
  type MessagesMessage,
  type MessagesRequest,
  MessagesStreamEvent,
  type MessagesTextBlock,
  type MessagesToolChoice,
  type MessagesUsage,
} from "../protocol/backends/mod.ts";
import { isContextOverflow } from "../protocol/mod.ts";
import type { Conversation, Part } from "./conversation.ts";
import { DownstreamError } from "./errors.ts";
import { type DownstreamEvent, type FinishReason, type StreamReader, usage } from "./events.ts";

/** Anthropic requires `max_tokens`; this is used when the client sets no limit. */
export const DEFAULT_MAX_TOKENS = 32000;

function imageBlock(url: string): MessagesImageBlock {
  const data = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  return data
    ? { type: "image", source: { type: "base64", media_type: data[1], data: data[2] } }
    : { type: "image", source: { type: "url", url } };
}

type ContentBlock = MessagesTextBlock | MessagesImageBlock | MessagesDocumentBlock;

/** Text, image and document blocks; empty text is left out because Anthropic rejects it. */
function contentBlocks(parts: readonly Part[]): ContentBlock[] {
  return parts.flatMap((part): ContentBlock[] => {
    switch (part.type) {
      case "image":
        return [imageBlock(part.url)];
      case "file":
        return [{
          type: "document",
          source: part.data !== undefined
            ? { type: "base64", media_type: part.mediaType, data: part.data }
            : { type: "url", url: part.url! },
          ...(part.filename ? { title: part.filename } : {}),
        }];
      case "text":
        return part.text ? [{ type: "text", text: part.text }] : [];
    }
  });
}

function toolInput(args: string): Record<string, unknown> {
  try {
    const value = JSON.parse(args || "{}");
    if (value && typeof value === "object" && !Array.isArray(value)) return value;
  } catch {
    // Arguments the model wrote badly were already answered with an error by the client.
  }
  return {};
}

function toolChoice(conversation: Conversation): MessagesToolChoice {
  const choice = conversation.toolChoice;
  const base: MessagesToolChoice = choice === "auto"
    ? { type: "auto" }
    : choice === "required"
    ? { type: "any" }
    : choice === "none"
    ? { type: "none" }
    : { type: "tool", name: choice.name };
  if (conversation.parallelToolCalls === false && base.type !== "none") {
    base.disable_parallel_tool_use = true;
  }
  return base;
}

export function toMessagesRequest(conversation: Conversation): MessagesRequest {
  const system: MessagesTextBlock[] = [];
  const messages: MessagesMessage[] = [];
  // Consecutive turns of one role become one message: tool results must all sit in the user
  // message right after the tool calls.
  const append = (role: "user" | "assistant", content: MessagesBlock[]) => {
    if (content.length === 0) return;
    const last = messages[messages.length - 1];
    if (last?.role === role) last.content.push(...content);
    else messages.push({ role, content });
  };
  for (const turn of conversation.turns) {
    switch (turn.role) {
      case "system":
        if (turn.text) system.push({ type: "text", text: turn.text });
        break;
      case "user":
        append("user", contentBlocks(turn.parts));
        break;
      case "assistant":
        append("assistant", [
          ...turn.reasoning.flatMap((r): MessagesBlock[] =>
            r.signature ? [{ type: "thinking", thinking: r.text, signature: r.signature }] : []
          ),
          ...(turn.text ? [{ type: "text" as const, text: turn.text }] : []),
          ...turn.toolCalls.map((call): MessagesBlock => ({
            type: "tool_use",
            id: call.id,
            name: call.name,
            input: toolInput(call.arguments),
          })),
        ]);
        break;
      case "tool": {
        const blocks = contentBlocks(turn.parts);
        const onlyText = blocks.every((b) => b.type === "text");
        append("user", [{
          type: "tool_result",
          tool_use_id: turn.callId,
          content: onlyText ? blocks.map((b) => (b as MessagesTextBlock).text).join("\n") : blocks,
        }]);
        break;
      }
    }
  }
  const body: MessagesRequest = {
    model: conversation.model,
    max_tokens: conversation.maxTokens ?? DEFAULT_MAX_TOKENS,
    messages,
    stream: true,
  };
  // The Messages API has no response format; the model is asked in words instead.
  const format = conversation.responseFormat;
  if (format) {
    system.push({
      type: "text",
      text: format.type === "json_object"
        ? "Reply with a single JSON object and nothing else."
        : `Reply with a single JSON value and nothing else. It must match this JSON Schema:\n${
          JSON.stringify(format.schema)
        }`,
    });
  }
  if (system.length > 0) body.system = system;
  const tools = conversation.tools.decls;
  if (tools.length > 0) {
    body.tools = tools.map((decl) => ({
      name: decl.name,
      ...(decl.description ? { description: decl.description } : {}),
      input_schema: { type: "object", ...decl.parameters },
    }));
    body.tool_choice = toolChoice(conversation);
  }
  if (conversation.temperature !== undefined) body.temperature = conversation.temperature;
  if (conversation.topP !== undefined) body.top_p = conversation.topP;
  return body;
}

const STOP_REASONS: Record<string, FinishReason> = {
  end_turn: "stop",
  stop_sequence: "stop",
  tool_use: "tool_calls",
  max_tokens: "length",
};

/** A stream is complete at `message_stop`; one that stops earlier was cut. */
export class MessagesStreamReader implements StreamReader {
  #done = false;
  #usage: MessagesUsage = {};

  constructor(readonly url: string) {}

  #fail(message: string, code: "server_error" | "context_length_exceeded" = "server_error"): never {
    throw new DownstreamError(`downstream ${this.url} ${message}`, code, "downstream_stream_error");
  }

  #usageEvent(update: MessagesUsage | null | undefined): DownstreamEvent[] {
    if (!update) return [];
    for (const [key, value] of Object.entries(update)) {
      if (typeof value === "number") (this.#usage as Record<string, number>)[key] = value;
    }
    const u = this.#usage;
    const cached = u.cache_read_input_tokens ?? 0;
    const cacheWrite = u.cache_creation_input_tokens ?? 0;
    // Anthropic's input_tokens leaves cache reads and writes out; Responses counts them in.
    return [{
      type: "usage",
      usage: usage((u.input_tokens ?? 0) + cached + cacheWrite, u.output_tokens ?? 0, {
        cached,
        cacheWrite,
      }),
    }];
  }

  read(data: string, eventName?: string): DownstreamEvent[] {
    let raw: Record<string, unknown>;
    try {
      raw = JSON.parse(data);
    } catch {
      return this.#fail(`sent an event that is not JSON: ${data.slice(0, 200)}`);
    }
    const type = typeof raw?.type === "string" ? raw.type : eventName;
    if (!type || !MESSAGES_STREAM_EVENT_TYPES.has(type)) return []; // newer event types
    const parsed = MessagesStreamEvent.safeParse({ ...raw, type });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return this.#fail(
        `sent a malformed ${type} event (${issue.path.join(".")}: ${issue.message})`,
      );
    }
    const event = parsed.data;
    switch (event.type) {
      case "message_start":
        return this.#usageEvent(event.message.usage);
      case "content_block_start": {
        const block = event.content_block;
        if (block.type === "text" && block.text) return [{ type: "text", delta: block.text }];
        if (block.type === "thinking") {
          return [
            ...(block.thinking ? [{ type: "reasoning" as const, delta: block.thinking }] : []),
            ...(block.signature
              ? [{ type: "reasoning_signature" as const, signature: block.signature }]
              : []),
          ];
        }
        if (block.type === "tool_use") {
          return [{
            type: "tool_call",
            index: event.index,
            ...(block.id ? { id: block.id } : {}),
            ...(block.name ? { name: block.name } : {}),
          }];
        }
        return [];
      }
      case "content_block_delta": {
        const delta = event.delta;
        switch (delta.type) {
          case "text_delta":
            return delta.text ? [{ type: "text", delta: delta.text }] : [];
          case "thinking_delta":
            return delta.thinking ? [{ type: "reasoning", delta: delta.thinking }] : [];
          case "signature_delta":
            return delta.signature
              ? [{ type: "reasoning_signature", signature: delta.signature }]
              : [];
          case "input_json_delta":
            return delta.partial_json
              ? [{ type: "tool_call", index: event.index, arguments: delta.partial_json }]
              : [];
          default:
            return [];
        }
      }
      case "message_delta": {
        const reason = event.delta?.stop_reason;
        return [
          ...(reason ? [{ type: "finish" as const, reason: STOP_REASONS[reason] ?? "other" }] : []),
          ...this.#usageEvent(event.usage),
        ];
      }
      case "message_stop":
        this.#done = true;
        return [];
      case "error": {
        const message = `${event.error.type ?? "error"}: ${event.error.message ?? ""}`;
        return this.#fail(
          `reported an error mid-stream: ${message}`,
          isContextOverflow(message, event.error.type) ? "context_length_exceeded" : "server_error",
        );
      }
      case "content_block_stop":
      case "ping":
        return [];
      default:
        return event satisfies never;
    }
  }

  end(): void {
    if (!this.#done) {
      throw new DownstreamError(
        `downstream ${this.url} closed the stream before message_stop`,
        "server_error",
        "downstream_truncated",
      );
    }
  }
}
