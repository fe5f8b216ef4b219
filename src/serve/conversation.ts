// A Responses request as a neutral conversation that both downstream wires are encoded from:
// system text, user turns, merged assistant turns (text + reasoning + tool calls), tool results.
// The wire rules every backend needs are applied here once: reasoning never becomes a message of
// its own, and every tool call is answered by exactly one result placed right after its turn.
import { Buffer } from "node:buffer";
import type { ResponseItem, ToolOutput } from "../protocol/mod.ts";
import type { CreateRequest } from "./input_items.ts";
import { flatName, type ToolChoice, toolChoice, ToolMap, WEB_SEARCH_FUNCTION } from "./tool_map.ts";

export type Part =
  | { type: "text"; text: string }
  | { type: "image"; url: string; detail?: string }
  /** A PDF, as base64 data or a URL; text files arrive as text parts instead. */
  | { type: "file"; mediaType: string; data?: string; url?: string; filename?: string };

/** Reasoning replayed to the backend; a signature is kept only when the backend issued one. */
export interface Reasoning {
  text: string;
  signature?: string;
}

export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

export type Turn =
  | { role: "system"; text: string; developer: boolean }
  | { role: "user"; parts: Part[] }
  | { role: "assistant"; text: string; reasoning: Reasoning[]; toolCalls: ToolCall[] }
  | { role: "tool"; callId: string; parts: Part[] };

export type AssistantTurn = Extract<Turn, { role: "assistant" }>;
export type ToolTurn = Extract<Turn, { role: "tool" }>;

export interface Conversation {
  model: string;
  turns: Turn[];
  tools: ToolMap;
  toolChoice: ToolChoice;
  parallelToolCalls?: boolean;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  /** `text.format` when it asks for JSON. */
  responseFormat?: ResponseFormat;
  /** The client's own `return_token_ids` (vLLM's switch for token ids in the stream). */
  returnTokenIds?: boolean;
}

export type ResponseFormat =
  | { type: "json_object" }
  | { type: "json_schema"; name: string; schema: unknown; strict?: boolean; description?: string };

function responseFormat(text: unknown): ResponseFormat | undefined {
  const format = (text as { format?: Json } | null | undefined)?.format;
  if (format?.type === "json_object") return { type: "json_object" };
  if (format?.type !== "json_schema") return undefined;
  return {
    type: "json_schema",
    name: typeof format.name === "string" ? format.name : "response",
    schema: format.schema ?? {},
    ...(typeof format.strict === "boolean" ? { strict: format.strict } : {}),
    ...(typeof format.description === "string" ? { description: format.description } : {}),
  };
}

/**
 * Thinking signatures travel to the client inside `encrypted_content` with this prefix, so the
 * proxy can tell its own from opaque values another server put there (those are not replayed).
 */
export const SIGNATURE_PREFIX = "tscodex-thinking-signature:";

/**
 * The summary a `compaction` item of ours carries (POST /v1/responses/compact made it): not
 * encrypted, only marked, so serve can tell its own from another server's.
 */
export const COMPACTION_PREFIX = "tscodex-compaction:";

export function encodeCompaction(summary: string): string {
  return COMPACTION_PREFIX + Buffer.from(summary, "utf8").toString("base64");
}

function compactionText(item: Json): string {
  const summary = Buffer.from(
    String(item.encrypted_content).slice(COMPACTION_PREFIX.length),
    "base64",
  ).toString("utf8");
  return `A summary of the earlier part of this conversation, which was compacted:\n\n${summary}`;
}

/** What the model is told when a call in the history has no recorded result. */
const MISSING_OUTPUT = "no output was recorded for this tool call";

type Json = Record<string, unknown>;

/** Media types a file part may have when serve has to name it from the file's extension. */
const EXTENSION_TYPES: Readonly<Record<string, string>> = {
  pdf: "application/pdf",
  txt: "text/plain",
  md: "text/markdown",
  csv: "text/csv",
  json: "application/json",
};

/** The media type of a file part: from its data: URL, else from its file name or URL. */
export function fileMediaType(part: Record<string, unknown>): string | undefined {
  const data = typeof part.file_data === "string" ? part.file_data : "";
  const declared = /^data:([^;,]+)[;,]/.exec(data)?.[1];
  if (declared) return declared.toLowerCase();
  for (const name of [part.filename, part.file_url]) {
    const path = typeof name === "string" ? name.replace(/[?#].*$/, "") : "";
    const extension = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase();
    if (extension && EXTENSION_TYPES[extension]) return EXTENSION_TYPES[extension];
  }
  return undefined;
}

/** Whether a file of this media type is passed on as its text. */
export function isTextFile(mediaType: string): boolean {
  return mediaType.startsWith("text/") || mediaType === "application/json";
}

function filePart(raw: Json): Part {
  const filename = typeof raw.filename === "string" ? raw.filename : undefined;
  const mediaType = fileMediaType(raw) ?? "application/octet-stream";
  if (typeof raw.file_data !== "string") {
    return { type: "file", mediaType, url: String(raw.file_url), filename };
  }
  const data = raw.file_data.replace(/^data:[^,]*,/, "");
  if (!isTextFile(mediaType)) return { type: "file", mediaType, data, filename };
  const name = filename ? ` ${filename}` : "";
  return { type: "text", text: `[file${name}]\n${Buffer.from(data, "base64").toString("utf8")}` };
}

/** Canonical content parts (see input.ts) as conversation parts. */
function contentParts(content: unknown): Part[] {
  if (typeof content === "string") return content ? [{ type: "text", text: content }] : [];
  if (!Array.isArray(content)) return [];
  return content.map((raw: Json): Part => {
    switch (raw.type) {
      case "input_image":
        return {
          type: "image",
          url: String(raw.image_url),
          // `auto` is every backend's default; saying so adds nothing.
          ...(typeof raw.detail === "string" && raw.detail !== "auto"
            ? { detail: raw.detail }
            : {}),
        };
      case "input_file":
        return filePart(raw);
      case "refusal":
        return { type: "text", text: String(raw.refusal ?? "") };
      default:
        return { type: "text", text: String(raw.text ?? "") };
    }
  });
}

export function partsText(parts: readonly Part[], separator = "\n"): string {
  return parts.flatMap((p) => (p.type === "text" ? [p.text] : [])).join(separator);
}

function reasoningOf(item: Json): Reasoning {
  const pieces = (list: unknown) =>
    Array.isArray(list) ? list.map((p: Json) => String(p?.text ?? "")).filter(Boolean) : [];
  const content = pieces(item.content);
  const text = (content.length > 0 ? content : pieces(item.summary)).join("\n");
  const encrypted = typeof item.encrypted_content === "string" ? item.encrypted_content : "";
  return encrypted.startsWith(SIGNATURE_PREFIX)
    ? { text, signature: encrypted.slice(SIGNATURE_PREFIX.length) }
    : { text };
}

function toolOutputParts(output: ToolOutput): Part[] {
  return typeof output === "string" ? [{ type: "text", text: output }] : contentParts(output);
}

/** The web_search_call items a client replays stand for a search call and its (empty) result. */
export function searchResult(query: string, queries?: unknown): string {
  return JSON.stringify({
    results: [],
    mock: true,
    note: "web search is not available through this proxy; answer from what you already know",
    query,
    ...(Array.isArray(queries) ? { queries } : {}),
  });
}

/** Items → turns, merging consecutive assistant-side items into one assistant turn. */
function itemsToTurns(items: readonly ResponseItem[]): Turn[] {
  const turns: Turn[] = [];
  const assistant = (): AssistantTurn => {
    const last = turns[turns.length - 1];
    if (last?.role === "assistant") return last;
    const turn: AssistantTurn = { role: "assistant", text: "", reasoning: [], toolCalls: [] };
    turns.push(turn);
    return turn;
  };
  items.forEach((raw, index) => {
    const item = raw as Json;
    switch (raw.type) {
      case "message": {
        const role = String(item.role);
        const parts = contentParts(item.content);
        if (role === "assistant") {
          const turn = assistant();
          turn.text += partsText(parts, "");
        } else if (role === "system" || role === "developer") {
          turns.push({ role: "system", text: partsText(parts), developer: role === "developer" });
        } else {
          turns.push({ role: "user", parts });
        }
        break;
      }
      case "reasoning": {
        const reasoning = reasoningOf(item);
        if (reasoning.text || reasoning.signature) assistant().reasoning.push(reasoning);
        break;
      }
      case "function_call":
        assistant().toolCalls.push({
          id: String(item.call_id),
          name: flatName(String(item.name), item.namespace as string | undefined),
          arguments: String(item.arguments ?? ""),
        });
        break;
      case "custom_tool_call":
        assistant().toolCalls.push({
          id: String(item.call_id),
          name: flatName(String(item.name), item.namespace as string | undefined),
          arguments: JSON.stringify({ input: String(item.input ?? "") }),
        });
        break;
      case "web_search_call": {
        const action = (item.action ?? {}) as Json;
        const id = String(item.id ?? `ws_replayed_${index}`);
        const query = String(action.query ?? "");
        assistant().toolCalls.push({
          id,
          name: WEB_SEARCH_FUNCTION,
          arguments: JSON.stringify({
            query,
            ...(action.queries ? { queries: action.queries } : {}),
          }),
        });
        turns.push({
          role: "tool",
          callId: id,
          parts: [{ type: "text", text: searchResult(query, action.queries) }],
        });
        break;
      }
      case "function_call_output":
      case "custom_tool_call_output":
        turns.push({
          role: "tool",
          callId: String(item.call_id),
          parts: toolOutputParts(item.output as ToolOutput),
        });
        break;
      case "compaction":
        turns.push({ role: "user", parts: [{ type: "text", text: compactionText(item) }] });
        break;
      default:
        // Items with no downstream equivalent (built-in tool calls of other providers) carry
        // nothing a chat backend could use.
        break;
    }
  });
  return turns;
}

/**
 * Places each call's result right after the assistant turn that made it, in call order, gives
 * unanswered calls a placeholder result, and drops results whose call is not in the history and
 * assistant turns that hold only reasoning.
 */
function pairToolResults(turns: readonly Turn[]): Turn[] {
  const results = new Map<string, ToolTurn>();
  for (const turn of turns) {
    if (turn.role === "tool" && !results.has(turn.callId)) results.set(turn.callId, turn);
  }
  const out: Turn[] = [];
  for (const turn of turns) {
    if (turn.role === "tool") continue;
    // Reasoning with no answer after it has nothing to attach to downstream.
    if (turn.role === "assistant" && !turn.text && turn.toolCalls.length === 0) continue;
    out.push(turn);
    if (turn.role !== "assistant") continue;
    for (const call of turn.toolCalls) {
      out.push(
        results.get(call.id) ??
          { role: "tool", callId: call.id, parts: [{ type: "text", text: MISSING_OUTPUT }] },
      );
      results.delete(call.id);
    }
  }
  return out;
}

/** Builds the conversation for a request whose full input (history included) is `items`. */
export function toConversation(
  request: CreateRequest,
  items: readonly ResponseItem[],
): Conversation {
  const tools = new ToolMap(request.tools ?? []);
  const turns: Turn[] = [];
  if (request.instructions) {
    turns.push({ role: "system", text: request.instructions, developer: true });
  }
  turns.push(...pairToolResults(itemsToTurns(items)));
  const maxTokens = request.max_output_tokens ?? (request as Json).max_tokens;
  const { parallel_tool_calls: parallel, temperature, top_p: topP } = request;
  const format = responseFormat(request.text);
  return {
    model: request.model,
    turns,
    tools,
    toolChoice: toolChoice(request.tool_choice, tools),
    ...(typeof parallel === "boolean" ? { parallelToolCalls: parallel } : {}),
    ...(typeof maxTokens === "number" ? { maxTokens } : {}),
    ...(typeof temperature === "number" ? { temperature } : {}),
    ...(typeof topP === "number" ? { topP } : {}),
    ...(format ? { responseFormat: format } : {}),
    ...(typeof (request as Json).return_token_ids === "boolean"
      ? { returnTokenIds: (request as Json).return_token_ids as boolean }
      : {}),
  };
}
