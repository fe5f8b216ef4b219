// The Open Responses specification (OpenAPI 2026-04-24) as zod schemas, for checking what a
// server sends: the response object, output items, content parts and streaming events, with
// every field the specification requires. OpenAI's own additions that Codex relies on (custom
// tool calls, web search calls, `response.reasoning_text.*` and custom tool input events) are
// typed from OpenAI's Responses reference. Extra fields are allowed, as the specification allows.
import { z } from "zod";

const int = z.number().int();

export const SpecUsage = z.object({
  input_tokens: int,
  output_tokens: int,
  total_tokens: int,
  input_tokens_details: z.object({ cached_tokens: int }),
  output_tokens_details: z.object({ reasoning_tokens: int }),
});

const InputTextContent = z.object({ type: z.literal("input_text"), text: z.string() });
const UrlCitation = z.object({
  type: z.literal("url_citation"),
  url: z.string(),
  start_index: int,
  end_index: int,
  title: z.string(),
});
const OutputTextContent = z.object({
  type: z.literal("output_text"),
  text: z.string(),
  annotations: z.array(UrlCitation),
  logprobs: z.array(z.unknown()).optional(),
});
const TextContent = z.object({ type: z.literal("text"), text: z.string() });
const SummaryTextContent = z.object({ type: z.literal("summary_text"), text: z.string() });
const ReasoningTextContent = z.object({ type: z.literal("reasoning_text"), text: z.string() });
const RefusalContent = z.object({ type: z.literal("refusal"), refusal: z.string() });
const InputImageContent = z.object({
  type: z.literal("input_image"),
  image_url: z.string().nullable(),
  detail: z.enum(["low", "high", "auto", "original"]),
});
const InputFileContent = z.object({
  type: z.literal("input_file"),
  filename: z.string().optional(),
  file_url: z.string().optional(),
});

export const SpecContentPart = z.discriminatedUnion("type", [
  InputTextContent,
  OutputTextContent,
  TextContent,
  SummaryTextContent,
  ReasoningTextContent,
  RefusalContent,
  InputImageContent,
  InputFileContent,
]);

const ItemStatus = z.enum(["in_progress", "completed", "incomplete"]);

const Message = z.object({
  type: z.literal("message"),
  id: z.string(),
  status: ItemStatus,
  role: z.enum(["user", "assistant", "system", "developer"]),
  content: z.array(SpecContentPart),
  phase: z.enum(["commentary", "final_answer"]).optional(),
});
const FunctionCall = z.object({
  type: z.literal("function_call"),
  id: z.string(),
  call_id: z.string(),
  name: z.string(),
  arguments: z.string(),
  status: ItemStatus,
});
const FunctionCallOutput = z.object({
  type: z.literal("function_call_output"),
  id: z.string(),
  call_id: z.string(),
  output: z.union([
    z.string(),
    z.array(z.discriminatedUnion("type", [InputTextContent, InputImageContent, InputFileContent])),
  ]),
  status: ItemStatus,
});
const ReasoningBody = z.object({
  type: z.literal("reasoning"),
  id: z.string(),
  content: z.array(SpecContentPart).optional(),
  summary: z.array(SpecContentPart),
  encrypted_content: z.string().optional(),
});
const CompactionBody = z.object({
  type: z.literal("compaction"),
  id: z.string(),
  encrypted_content: z.string(),
  created_by: z.string().optional(),
});
// From OpenAI's reference: freeform tool calls and web search calls.
const CustomToolCall = z.object({
  type: z.literal("custom_tool_call"),
  id: z.string().optional(),
  call_id: z.string(),
  name: z.string(),
  input: z.string(),
});
const CustomToolCallOutput = z.object({
  type: z.literal("custom_tool_call_output"),
  id: z.string().optional(),
  call_id: z.string(),
  output: z.union([z.string(), z.array(SpecContentPart)]),
});
const WebSearchCall = z.object({
  type: z.literal("web_search_call"),
  id: z.string(),
  status: z.enum(["in_progress", "searching", "completed", "failed"]),
  action: z.object({ type: z.enum(["search", "open_page", "find", "find_in_page"]) }),
});

export const SpecItem = z.discriminatedUnion("type", [
  Message,
  FunctionCall,
  FunctionCallOutput,
  ReasoningBody,
  CompactionBody,
  CustomToolCall,
  CustomToolCallOutput,
  WebSearchCall,
]);

const FunctionTool = z.object({
  type: z.literal("function"),
  name: z.string(),
  description: z.string().nullable(),
  parameters: z.record(z.string(), z.unknown()).nullable(),
  strict: z.boolean().nullable(),
});
/** Function tools with every field; tools of other types (OpenAI's built-ins) by their type. */
const Tool = z.union([
  FunctionTool,
  z.looseObject({ type: z.string().refine((type) => type !== "function") }),
]);
const ToolChoiceValue = z.enum(["none", "auto", "required"]);
const ToolChoice = z.union([
  ToolChoiceValue,
  z.object({ type: z.literal("function"), name: z.string().optional() }),
  z.object({
    type: z.literal("allowed_tools"),
    tools: z.array(z.object({ type: z.literal("function"), name: z.string().optional() })),
    mode: ToolChoiceValue,
  }),
  z.looseObject({ type: z.string() }),
]);
const TextField = z.object({
  format: z.discriminatedUnion("type", [
    z.object({ type: z.literal("text") }),
    z.object({ type: z.literal("json_object") }),
    z.object({
      type: z.literal("json_schema"),
      name: z.string(),
      description: z.string().nullable(),
      schema: z.unknown(),
      strict: z.boolean(),
    }),
  ]),
  verbosity: z.enum(["low", "medium", "high"]).optional(),
});
const Reasoning = z.object({
  effort: z.enum(["none", "minimal", "low", "medium", "high", "xhigh"]).nullable(),
  summary: z.enum(["concise", "detailed", "auto"]).nullable(),
});

export const SpecResponse = z.object({
  id: z.string(),
  object: z.literal("response"),
  created_at: int,
  completed_at: int.nullable(),
  status: z.enum(["queued", "in_progress", "completed", "failed", "incomplete", "cancelled"]),
  incomplete_details: z.object({ reason: z.string() }).nullable(),
  model: z.string(),
  previous_response_id: z.string().nullable(),
  instructions: z.string().nullable(),
  output: z.array(SpecItem),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  tools: z.array(Tool),
  tool_choice: ToolChoice,
  truncation: z.enum(["auto", "disabled"]),
  parallel_tool_calls: z.boolean(),
  text: TextField,
  top_p: z.number(),
  presence_penalty: z.number(),
  frequency_penalty: z.number(),
  top_logprobs: int,
  temperature: z.number(),
  reasoning: Reasoning.nullable(),
  // Not required: the specification's own example response leaves it out.
  user: z.string().nullish(),
  usage: SpecUsage.nullable(),
  max_output_tokens: int.nullable(),
  max_tool_calls: int.nullable(),
  store: z.boolean(),
  background: z.boolean(),
  service_tier: z.string(),
  metadata: z.unknown(),
  safety_identifier: z.string().nullable(),
  prompt_cache_key: z.string().nullable(),
});

const sequenced = { sequence_number: int.min(0) };
const located = { ...sequenced, item_id: z.string(), output_index: int };

function event<const T extends string, S extends z.ZodRawShape>(type: T, shape: S) {
  return z.object({ type: z.literal(type), ...shape });
}

const lifecycle = { ...sequenced, response: SpecResponse };

export const SpecEvent = z.discriminatedUnion("type", [
  event("response.created", lifecycle),
  event("response.queued", lifecycle),
  event("response.in_progress", lifecycle),
  event("response.completed", lifecycle),
  event("response.failed", lifecycle),
  event("response.incomplete", lifecycle),
  event("response.output_item.added", { ...sequenced, output_index: int, item: SpecItem }),
  event("response.output_item.done", { ...sequenced, output_index: int, item: SpecItem }),
  event("response.content_part.added", { ...located, content_index: int, part: SpecContentPart }),
  event("response.content_part.done", { ...located, content_index: int, part: SpecContentPart }),
  event("response.reasoning_summary_part.added", {
    ...located,
    summary_index: int,
    part: SpecContentPart,
  }),
  event("response.reasoning_summary_part.done", {
    ...located,
    summary_index: int,
    part: SpecContentPart,
  }),
  event("response.output_text.delta", { ...located, content_index: int, delta: z.string() }),
  event("response.output_text.done", { ...located, content_index: int, text: z.string() }),
  event("response.refusal.delta", { ...located, content_index: int, delta: z.string() }),
  event("response.refusal.done", { ...located, content_index: int, refusal: z.string() }),
  event("response.reasoning.delta", { ...located, content_index: int, delta: z.string() }),
  event("response.reasoning.done", { ...located, content_index: int, text: z.string() }),
  event("response.reasoning_text.delta", { ...located, content_index: int, delta: z.string() }),
  event("response.reasoning_text.done", { ...located, content_index: int, text: z.string() }),
  event("response.reasoning_summary_text.delta", {
    ...located,
    summary_index: int,
    delta: z.string(),
  }),
  event("response.reasoning_summary_text.done", {
    ...located,
    summary_index: int,
    text: z.string(),
  }),
  event("response.function_call_arguments.delta", { ...located, delta: z.string() }),
  event("response.function_call_arguments.done", { ...located, arguments: z.string() }),
  event("response.custom_tool_call_input.delta", { ...located, delta: z.string() }),
  event("response.custom_tool_call_input.done", { ...located, input: z.string() }),
  event("error", {
    ...sequenced,
    error: z.object({
      type: z.string(),
      code: z.string().nullable(),
      message: z.string(),
      param: z.string().nullable(),
    }),
  }),
]);

/**
 * An `error` message of the WebSocket mode: a request refused before (or instead of) a response,
 * with the HTTP status it would have had.
 */
export const SpecSocketError = z.object({
  type: z.literal("error"),
  status: int,
  error: z.object({
    type: z.string(),
    code: z.string().nullable(),
    message: z.string(),
    param: z.string().nullable(),
  }),
});

/** GET /v1/responses/{id}/input_items. */
export const SpecItemList = z.object({
  object: z.literal("list"),
  data: z.array(SpecItem),
  first_id: z.string().nullable(),
  last_id: z.string().nullable(),
  has_more: z.boolean(),
});

/** POST /v1/responses/compact. */
export const SpecCompaction = z.object({
  id: z.string(),
  object: z.literal("response.compaction"),
  created_at: int,
  output: z.array(SpecItem),
  usage: SpecUsage,
});

/** DELETE /v1/responses/{id} (OpenAI's reference). */
export const SpecDeleted = z.object({
  id: z.string(),
  object: z.literal("response.deleted"),
  deleted: z.literal(true),
});
