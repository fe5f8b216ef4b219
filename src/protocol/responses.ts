// Responses API wire types: items, tool declarations and the request body, as zod schemas.
// Forward compatibility: unknown fields are kept (loose objects) and unknown item, content and tool
// types pass through untouched; a known type with a malformed shape is rejected.
import { z } from "zod";

/** A union of the known variants plus a pass-through for any other `type` value. */
function openUnion<const T extends readonly [z.ZodObject, ...z.ZodObject[]]>(known: T) {
  const names = new Set(
    known.map((schema) => (schema.shape as { type: z.ZodLiteral<string> }).type.value),
  );
  const other = z.looseObject({ type: z.string() }).refine((v) => !names.has(v.type), {
    message: "malformed value of a known type",
  });
  return z.union([z.discriminatedUnion("type", known), other]);
}

export const InputText = z.looseObject({ type: z.literal("input_text"), text: z.string() });
export const OutputText = z.looseObject({
  type: z.literal("output_text"),
  text: z.string(),
  annotations: z.array(z.unknown()).optional(),
});
export const InputImage = z.looseObject({
  type: z.literal("input_image"),
  image_url: z.string(),
  detail: z.string().nullish(),
});
export const ContentPart = openUnion([InputText, OutputText, InputImage]);
export type ContentPart = z.infer<typeof ContentPart>;

export const Role = z.enum(["user", "assistant", "system", "developer"]);

export const MessageItem = z.looseObject({
  type: z.literal("message"),
  id: z.string().nullish(),
  role: Role,
  content: z.array(ContentPart),
  status: z.string().nullish(),
});

export const ReasoningItem = z.looseObject({
  type: z.literal("reasoning"),
  id: z.string().nullish(),
  summary: z.array(z.looseObject({ type: z.string(), text: z.string() })),
  content: z.array(z.looseObject({ type: z.string(), text: z.string() })).nullish(),
  encrypted_content: z.string().nullish(),
});

export const FunctionCallItem = z.looseObject({
  type: z.literal("function_call"),
  id: z.string().nullish(),
  call_id: z.string(),
  name: z.string(),
  namespace: z.string().nullish(),
  arguments: z.string(),
  status: z.string().nullish(),
});

/** Tool output: plain text, or content items (text and images) for multimodal results. */
export const ToolOutput = z.union([z.string(), z.array(ContentPart)]);
export type ToolOutput = z.infer<typeof ToolOutput>;

export const FunctionCallOutputItem = z.looseObject({
  type: z.literal("function_call_output"),
  id: z.string().nullish(),
  call_id: z.string(),
  output: ToolOutput,
});

export const CustomToolCallItem = z.looseObject({
  type: z.literal("custom_tool_call"),
  id: z.string().nullish(),
  call_id: z.string(),
  name: z.string(),
  input: z.string(),
  status: z.string().nullish(),
});

export const CustomToolCallOutputItem = z.looseObject({
  type: z.literal("custom_tool_call_output"),
  id: z.string().nullish(),
  call_id: z.string(),
  name: z.string().nullish(),
  output: ToolOutput,
});

export const WebSearchCallItem = z.looseObject({
  type: z.literal("web_search_call"),
  id: z.string().nullish(),
  status: z.string().nullish(),
  action: z.looseObject({ type: z.string() }).nullish(),
});

export const KnownItem = z.discriminatedUnion("type", [
  MessageItem,
  ReasoningItem,
  FunctionCallItem,
  FunctionCallOutputItem,
  CustomToolCallItem,
  CustomToolCallOutputItem,
  WebSearchCallItem,
]);
export const ResponseItem = openUnion([
  MessageItem,
  ReasoningItem,
  FunctionCallItem,
  FunctionCallOutputItem,
  CustomToolCallItem,
  CustomToolCallOutputItem,
  WebSearchCallItem,
]);

export type MessageItem = z.infer<typeof MessageItem>;
export type ReasoningItem = z.infer<typeof ReasoningItem>;
export type FunctionCallItem = z.infer<typeof FunctionCallItem>;
export type FunctionCallOutputItem = z.infer<typeof FunctionCallOutputItem>;
export type CustomToolCallItem = z.infer<typeof CustomToolCallItem>;
export type CustomToolCallOutputItem = z.infer<typeof CustomToolCallOutputItem>;
export type WebSearchCallItem = z.infer<typeof WebSearchCallItem>;
export type KnownItem = z.infer<typeof KnownItem>;
/** Any item on the wire: a known one, or an unknown type carried verbatim. */
export type ResponseItem = KnownItem | { type: string; [key: string]: unknown };

const KNOWN_ITEM_TYPES: ReadonlySet<string> = new Set(
  KnownItem.options.map((o) => o.shape.type.value),
);

/** Narrows a wire item to the known variants, so a `switch` on `type` is exhaustive. */
export function isKnownItem(item: ResponseItem): item is KnownItem {
  return KNOWN_ITEM_TYPES.has(item.type);
}

export type ToolCallItem = FunctionCallItem | CustomToolCallItem;

export function isToolCall(item: ResponseItem): item is ToolCallItem {
  return item.type === "function_call" || item.type === "custom_tool_call";
}

export const FunctionTool = z.looseObject({
  type: z.literal("function"),
  name: z.string(),
  description: z.string().nullish(),
  /** A function without parameters may leave them out (or send null). */
  parameters: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish(),
});

export const CustomToolFormat = z.union([
  z.looseObject({
    type: z.literal("grammar"),
    syntax: z.enum(["lark", "regex"]),
    definition: z.string(),
  }),
  z.looseObject({ type: z.literal("text") }),
]);

export const CustomTool = z.looseObject({
  type: z.literal("custom"),
  name: z.string(),
  description: z.string().optional(),
  format: CustomToolFormat.optional(),
});

export const WebSearchTool = z.looseObject({
  type: z.literal("web_search"),
  external_web_access: z.boolean().optional(),
});

export const NamespaceTool = z.looseObject({
  type: z.literal("namespace"),
  name: z.string(),
  description: z.string().optional(),
  tools: z.array(z.union([FunctionTool, CustomTool])),
});

export const ToolSpec = openUnion([FunctionTool, CustomTool, WebSearchTool, NamespaceTool]);
export type FunctionTool = z.infer<typeof FunctionTool>;
export type CustomTool = z.infer<typeof CustomTool>;
export type NamespaceTool = z.infer<typeof NamespaceTool>;
export type ToolSpec = z.infer<typeof ToolSpec>;

export const ToolChoice = z.union([z.string(), z.looseObject({ type: z.string() })]);

export const ResponsesRequest = z.looseObject({
  model: z.string(),
  instructions: z.string().nullish(),
  input: z.union([z.string(), z.array(ResponseItem)]),
  tools: z.array(ToolSpec).optional(),
  tool_choice: ToolChoice.optional(),
  parallel_tool_calls: z.boolean().optional(),
  reasoning: z.looseObject({
    effort: z.string().nullish(),
    summary: z.string().nullish(),
  }).nullish(),
  store: z.boolean().optional(),
  stream: z.boolean().optional(),
  include: z.array(z.string()).optional(),
  prompt_cache_key: z.string().nullish(),
  text: z.looseObject({ verbosity: z.string().nullish() }).nullish(),
  client_metadata: z.record(z.string(), z.unknown()).nullish(),
  previous_response_id: z.string().nullish(),
  max_output_tokens: z.number().int().nullish(),
});
export type ResponsesRequest = z.infer<typeof ResponsesRequest>;

export const Usage = z.looseObject({
  input_tokens: z.number(),
  input_tokens_details: z.looseObject({ cached_tokens: z.number().optional() }).nullish(),
  output_tokens: z.number(),
  output_tokens_details: z.looseObject({ reasoning_tokens: z.number().optional() }).nullish(),
  total_tokens: z.number(),
});
export type Usage = z.infer<typeof Usage>;

/** The text of an assistant message: its output_text parts joined. */
export function messageText(item: MessageItem): string {
  return item.content.map((
    part,
  ) => (part.type === "output_text" || part.type === "input_text" ? String(part.text) : "")).join(
    "",
  );
}

/** The texts upstream puts around the N-th image file (1-based) attached to a user message. */
export const imageOpenTag = (n: number) => `<image name=[Image #${n}]>`;
export const IMAGE_CLOSE_TAG = "</image>";

/** Whether a text part of a user message is one of the tags around an attached image. */
export function isImageTag(text: string): boolean {
  return text === IMAGE_CLOSE_TAG || /^<image name=\[Image #\d+\]>$/.test(text);
}
