// A Responses request as a neutral conversation that both downstream wires are encoded from:
// system text, user turns, merged assistant turns (text + reasoning + tool calls), tool results.
// The wire rules every backend needs are applied here once: reasoning never becomes a message of
// its own, and every tool call is answered by exactly one result placed right after its turn.
import type { ResponseItem, ResponsesRequest, ToolOutput } from "../protocol/mod.ts";
import { RequestError } from "./errors.ts";
import { flatName, type ToolChoice, toolChoice, ToolMap, WEB_SEARCH_FUNCTION } from "./tool_map.ts";

export type Part = { type: "text"; text: string } | { type: "image"; url: string; detail?: string };

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
}

/**
 * Thinking signatures travel to the client inside `encrypted_content` with this prefix, so the
 * proxy can tell its own from opaque values another server put there (those are not replayed).
 */
export const SIGNATURE_PREFIX = "tscodex-thinking-signature:";

/** What the model is told when a call in the history has no recorded result. */
const MISSING_OUTPUT = "no output was recorded for this tool call";

type Json = Record<string, unknown>;

function contentParts(content: unknown, where: string): Part[] {
  if (typeof content === "string") return content ? [{ type: "text", text: content }] : [];
  if (!Array.isArray(content)) return [];
  return content.map((raw: Json): Part => {
    switch (raw.type) {
      case "input_text":
      case "output_text":
      case "text":
        return { type: "text", text: String(raw.text ?? "") };
      case "refusal":
        return { type: "text", text: String(raw.refusal ?? "") };
      case "input_image":
        if (typeof raw.image_url !== "string") {
          throw new RequestError(
            400,
            `${where}: input_image needs an image_url (data: or http URL); file ids are not supported by the proxy`,
            "unsupported_value",
          );
        }
        return {
          type: "image",
          url: raw.image_url,
          ...(typeof raw.detail === "string" ? { detail: raw.detail } : {}),
        };
      default:
        throw new RequestError(
          400,
          `${where}: content part type "${raw.type}" is not supported by the proxy`,
          "unsupported_value",
        );
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

function toolOutputParts(output: ToolOutput, where: string): Part[] {
  return typeof output === "string"
    ? [{ type: "text", text: output }]
    : contentParts(output, where);
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
    const where = `input[${index}]`;
    switch (raw.type) {
      case "message": {
        const role = String(item.role);
        const parts = contentParts(item.content, where);
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
          parts: toolOutputParts(item.output as ToolOutput, where),
        });
        break;
      default:
        // Items with no downstream equivalent (item references, compaction markers, built-in
        // tool calls of other providers) carry nothing a chat backend could use.
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

/** The request's input as items: a bare string is one user message. */
export function inputItems(request: ResponsesRequest): ResponseItem[] {
  if (typeof request.input === "string") {
    return [{
      type: "message",
      role: "user",
      content: [{ type: "input_text", text: request.input }],
    }];
  }
  return request.input;
}

/** Builds the conversation for a request whose full input (history included) is `items`. */
export function toConversation(
  request: ResponsesRequest,
  items: readonly ResponseItem[],
): Conversation {
  const tools = new ToolMap(request.tools ?? []);
  const turns: Turn[] = [];
  if (request.instructions) {
    turns.push({ role: "system", text: request.instructions, developer: true });
  }
  turns.push(...pairToolResults(itemsToTurns(items)));
  const extra = request as Json;
  const maxTokens = request.max_output_tokens ?? (extra.max_tokens as number | undefined);
  return {
    model: request.model,
    turns,
    tools,
    toolChoice: toolChoice(request.tool_choice, tools),
    ...(request.parallel_tool_calls !== undefined
      ? { parallelToolCalls: request.parallel_tool_calls }
      : {}),
    ...(typeof maxTokens === "number" ? { maxTokens } : {}),
    ...(typeof extra.temperature === "number" ? { temperature: extra.temperature } : {}),
    ...(typeof extra.top_p === "number" ? { topP: extra.top_p } : {}),
  };
}
