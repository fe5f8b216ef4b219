// The response object as servers send it (in `response.*` events, non-streaming answers and GET
// /v1/responses/{id}): every field the Open Responses specification requires, the request's
// settings echoed back with the API's defaults for those it left out. Shared by serve and the
// fake server so both answer with the same complete objects.
import type { ResponseItem, Usage } from "./responses.ts";

export interface ResponseState {
  id: string;
  /** Unix seconds. */
  created_at: number;
  status: "in_progress" | "completed" | "incomplete" | "failed" | "cancelled" | "queued";
  model: string;
  output: ResponseItem[];
  usage: Usage | null;
  error?: { code: string; message: string; [key: string]: unknown } | null;
  incomplete_details?: { reason: string } | null;
  /** Unix seconds; only a completed response has one. */
  completed_at?: number | null;
}

type Json = Record<string, unknown>;

function pick<T>(value: unknown, fallback: T): T {
  return value === undefined || value === null ? fallback : value as T;
}

/** A declared tool as the response object lists it: function tools with every field. */
function toolResource(tool: unknown): unknown {
  const t = tool as Json;
  if (t?.type !== "function") return tool;
  return {
    ...t,
    description: pick(t.description, null),
    parameters: pick(t.parameters, null),
    strict: pick(t.strict, true),
  };
}

function toolChoiceResource(choice: unknown): unknown {
  const c = choice as Json | string | null | undefined;
  if (c === null || c === undefined) return "auto";
  if (typeof c === "object" && c.type === "allowed_tools") return { mode: "auto", ...c };
  return c;
}

/** The text settings as the response object lists them: a format always, json_schema complete. */
function textResource(text: Json): Json {
  const format = (text.format ?? { type: "text" }) as Json;
  return {
    ...text,
    format: format.type === "json_schema"
      ? {
        ...format,
        name: pick(format.name, "response"),
        description: pick(format.description, null),
        schema: pick(format.schema, null),
        strict: pick(format.strict, false),
      }
      : format,
  };
}

/** The full response object for `state`, made from `request` (the create body as sent). */
export function responseResource(state: ResponseState, request: Json): Json {
  const reasoning = request.reasoning as Json | null | undefined;
  return {
    id: state.id,
    object: "response",
    created_at: state.created_at,
    completed_at: state.completed_at ?? null,
    status: state.status,
    incomplete_details: state.incomplete_details ?? null,
    model: state.model,
    previous_response_id: pick(request.previous_response_id, null),
    instructions: pick(request.instructions, null),
    output: state.output,
    error: state.error ?? null,
    tools: ((request.tools ?? []) as unknown[]).map(toolResource),
    tool_choice: toolChoiceResource(request.tool_choice),
    truncation: pick(request.truncation, "disabled"),
    parallel_tool_calls: pick(request.parallel_tool_calls, true),
    text: textResource((request.text ?? {}) as Json),
    top_p: pick(request.top_p, 1),
    presence_penalty: pick(request.presence_penalty, 0),
    frequency_penalty: pick(request.frequency_penalty, 0),
    top_logprobs: pick(request.top_logprobs, 0),
    temperature: pick(request.temperature, 1),
    reasoning: reasoning ? { effort: null, summary: null, ...reasoning } : null,
    user: pick(request.user, null),
    usage: state.usage,
    max_output_tokens: pick(request.max_output_tokens, null),
    max_tool_calls: pick(request.max_tool_calls, null),
    store: pick(request.store, true),
    background: false,
    service_tier: "default",
    metadata: pick(request.metadata, {}),
    safety_identifier: pick(request.safety_identifier, null),
    prompt_cache_key: pick(request.prompt_cache_key, null),
  };
}
