// The chat-completions wire: a conversation → the request body, and streamed chunks → the
// downstream event union. Chat has no place for images or files in tool results, so those follow
// the results as one user message.
import {
  ChatChunk,
  type ChatContentPart,
  type ChatDelta,
  type ChatMessage,
  type ChatRequest,
  type ChatToolChoice,
} from "../protocol/backends/mod.ts";
import { isContextOverflow } from "../protocol/mod.ts";
import type { Conversation, Part, Turn } from "./conversation.ts";
import { partsText } from "./conversation.ts";
import { DownstreamError } from "./errors.ts";
import { type DownstreamEvent, type FinishReason, type StreamReader, usage } from "./events.ts";
import type { ChatProfile } from "./chat_profiles.ts";

function chatPart(part: Part): ChatContentPart {
  switch (part.type) {
    case "text":
      return { type: "text", text: part.text };
    case "image":
      return {
        type: "image_url",
        image_url: { url: part.url, ...(part.detail ? { detail: part.detail } : {}) },
      };
    case "file":
      // Only data reaches here: the input check refused file URLs for chat backends.
      return {
        type: "file",
        file: {
          file_data: `data:${part.mediaType};base64,${part.data}`,
          ...(part.filename ? { filename: part.filename } : {}),
        },
      };
  }
}

function userMessage(parts: readonly Part[]): ChatMessage {
  // Plain strings where possible: several servers' chat templates only accept string content.
  const hasMedia = parts.some((p) => p.type !== "text");
  return {
    role: "user",
    content: hasMedia ? parts.map(chatPart) : partsText(parts, "\n\n"),
  };
}

function chatMessages(turns: readonly Turn[], profile: ChatProfile): ChatMessage[] {
  const messages: ChatMessage[] = [];
  let pendingImages: Part[] = [];
  const flushImages = () => {
    if (pendingImages.length === 0) return;
    messages.push(userMessage(pendingImages));
    pendingImages = [];
  };
  for (const turn of turns) {
    if (turn.role !== "tool") flushImages();
    switch (turn.role) {
      case "system":
        messages.push({
          role: turn.developer ? profile.developerRole : "system",
          content: turn.text,
        });
        break;
      case "user":
        messages.push(userMessage(turn.parts));
        break;
      case "assistant": {
        const reasoning = turn.reasoning.map((r) => r.text).filter(Boolean).join("\n");
        messages.push({
          role: "assistant",
          content: turn.text || (turn.toolCalls.length > 0 ? null : ""),
          ...(reasoning ? { [profile.reasoningField]: reasoning } : {}),
          ...(turn.toolCalls.length > 0
            ? {
              tool_calls: turn.toolCalls.map((call) => ({
                id: call.id,
                type: "function" as const,
                function: { name: call.name, arguments: call.arguments },
              })),
            }
            : {}),
        });
        break;
      }
      case "tool":
        messages.push({ role: "tool", tool_call_id: turn.callId, content: partsText(turn.parts) });
        pendingImages.push(...turn.parts.filter((p) => p.type !== "text"));
        break;
    }
  }
  flushImages();
  return messages;
}

export function toChatRequest(conversation: Conversation, profile: ChatProfile): ChatRequest {
  const tools = conversation.tools.decls;
  const choice = conversation.toolChoice;
  const body: ChatRequest = {
    model: conversation.model,
    messages: chatMessages(conversation.turns, profile),
    stream: true,
  };
  // Tool settings without tools are rejected by OpenAI-style servers.
  if (tools.length > 0) {
    body.tools = tools.map((decl) => ({ type: "function", function: { ...decl } }));
    body.tool_choice = (typeof choice === "string"
      ? choice
      : { type: "function", function: { name: choice.name } }) as ChatToolChoice;
    if (conversation.parallelToolCalls !== undefined) {
      body.parallel_tool_calls = conversation.parallelToolCalls;
    }
  }
  if (conversation.maxTokens !== undefined) body.max_tokens = conversation.maxTokens;
  if (conversation.temperature !== undefined) body.temperature = conversation.temperature;
  if (conversation.topP !== undefined) body.top_p = conversation.topP;
  const format = conversation.responseFormat;
  if (format?.type === "json_object") body.response_format = { type: "json_object" };
  else if (format) {
    const { type: _, ...jsonSchema } = format;
    body.response_format = { type: "json_schema", json_schema: jsonSchema };
  }
  if (profile.includeUsage) body.stream_options = { include_usage: true };
  return body;
}

function reasoningText(delta: ChatDelta): string {
  for (const value of [delta.reasoning, delta.reasoning_content]) {
    if (typeof value === "string" && value) return value;
    if (value && typeof value === "object") {
      const text = value.text ?? value.content;
      if (text) return text;
    }
  }
  return (delta.reasoning_details ?? []).map((d) => d.text ?? "").join("");
}

function finishReason(reason: string): FinishReason {
  if (reason === "stop" || reason === "tool_calls" || reason === "length") return reason;
  if (reason === "function_call") return "tool_calls";
  return "other";
}

function excerpt(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null;

/**
 * The text of the chunk nearly every event of a stream is — one choice whose delta carries only
 * text — or undefined for any other chunk. Checked by hand because it is the proxy's hottest path:
 * the schema costs more per chunk than everything else serve does with it. Whatever passes here
 * also passes `ChatChunk`; everything else goes through it.
 */
function plainText(raw: unknown): string | undefined {
  if (!isRecord(raw) || raw.usage != null || raw.error != null) return undefined;
  if (raw.id != null && typeof raw.id !== "string") return undefined;
  const choices = raw.choices;
  if (!Array.isArray(choices) || choices.length !== 1) return undefined;
  const choice = choices[0];
  if (!isRecord(choice) || choice.message != null || choice.finish_reason != null) return undefined;
  if (choice.index != null && choice.index !== 0) return undefined;
  const delta = choice.delta;
  if (
    !isRecord(delta) || typeof delta.content !== "string" ||
    (delta.role != null && typeof delta.role !== "string") || delta.reasoning != null ||
    delta.reasoning_content != null || delta.reasoning_details != null || delta.tool_calls != null
  ) return undefined;
  return delta.content;
}

/** A stream is complete at `data: [DONE]` or a finish_reason; one that stops earlier was cut. */
export class ChatStreamReader implements StreamReader {
  #done = false;

  constructor(readonly url: string) {}

  read(data: string): DownstreamEvent[] {
    if (data.trim() === "[DONE]") {
      this.#done = true;
      return [];
    }
    let raw: unknown;
    try {
      raw = JSON.parse(data);
    } catch {
      throw new DownstreamError(
        `downstream ${this.url} sent a chunk that is not JSON: ${excerpt(data)}`,
        "server_error",
        "downstream_bad_chunk",
      );
    }
    const text = plainText(raw);
    if (text !== undefined) return text ? [{ type: "text", delta: text }] : [];
    const parsed = ChatChunk.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new DownstreamError(
        `downstream ${this.url} sent a malformed chunk (${
          issue.path.join(".")
        }: ${issue.message}): ${excerpt(data)}`,
        "server_error",
        "downstream_bad_chunk",
      );
    }
    const chunk = parsed.data;
    if (chunk.error) {
      const message = chunk.error.message ?? JSON.stringify(chunk.error);
      throw new DownstreamError(
        `downstream ${this.url} reported an error mid-stream: ${message}`,
        isContextOverflow(message, String(chunk.error.code ?? chunk.error.type ?? ""))
          ? "context_length_exceeded"
          : "server_error",
        "downstream_stream_error",
      );
    }
    const events: DownstreamEvent[] = [];
    const choice = chunk.choices?.find((c) => (c.index ?? 0) === 0);
    const delta = choice?.delta ?? choice?.message;
    if (delta) {
      const reasoning = reasoningText(delta);
      if (reasoning) events.push({ type: "reasoning", delta: reasoning });
      if (delta.content) events.push({ type: "text", delta: delta.content });
      (delta.tool_calls ?? []).forEach((call, position) => {
        events.push({
          type: "tool_call",
          index: call.index ?? position,
          ...(call.id ? { id: call.id } : {}),
          ...(call.function?.name ? { name: call.function.name } : {}),
          ...(call.function?.arguments ? { arguments: call.function.arguments } : {}),
        });
      });
    }
    if (choice?.finish_reason) {
      // Output is complete at finish_reason; only the usage chunk can still be missing.
      this.#done = true;
      events.push({ type: "finish", reason: finishReason(choice.finish_reason) });
    }
    if (chunk.usage) {
      const u = chunk.usage;
      events.push({
        type: "usage",
        usage: usage(u.prompt_tokens ?? 0, u.completion_tokens ?? 0, {
          cached: u.prompt_tokens_details?.cached_tokens ?? 0,
          reasoning: u.completion_tokens_details?.reasoning_tokens ?? 0,
        }),
      });
    }
    return events;
  }

  end(): void {
    if (!this.#done) {
      throw new DownstreamError(
        `downstream ${this.url} closed the stream before finishing (no finish_reason and no [DONE])`,
        "server_error",
        "downstream_truncated",
      );
    }
  }
}
