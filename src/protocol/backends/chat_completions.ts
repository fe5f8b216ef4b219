// Chat Completions wire types: the request the serve proxy sends downstream and the streamed
// chunks it reads back. Chunks are loose: backends add fields freely and differ in where they put
// reasoning, so only the fields the proxy reads are typed.
import { z } from "zod";

export const ChatTextPart = z.looseObject({ type: z.literal("text"), text: z.string() });
export const ChatImagePart = z.looseObject({
  type: z.literal("image_url"),
  image_url: z.looseObject({ url: z.string(), detail: z.string().optional() }),
});
/** OpenAI's file part: a PDF as a data: URL. */
export const ChatFilePart = z.looseObject({
  type: z.literal("file"),
  file: z.looseObject({ file_data: z.string(), filename: z.string().optional() }),
});
export const ChatContentPart = z.discriminatedUnion("type", [
  ChatTextPart,
  ChatImagePart,
  ChatFilePart,
]);
export type ChatContentPart = z.infer<typeof ChatContentPart>;

export const ChatToolCall = z.looseObject({
  id: z.string(),
  type: z.literal("function"),
  function: z.looseObject({ name: z.string(), arguments: z.string() }),
});
export type ChatToolCall = z.infer<typeof ChatToolCall>;

export const ChatMessage = z.discriminatedUnion("role", [
  z.looseObject({ role: z.literal("system"), content: z.string() }),
  z.looseObject({ role: z.literal("developer"), content: z.string() }),
  z.looseObject({
    role: z.literal("user"),
    content: z.union([z.string(), z.array(ChatContentPart)]),
  }),
  z.looseObject({
    role: z.literal("assistant"),
    content: z.string().nullable(),
    tool_calls: z.array(ChatToolCall).optional(),
    // Backends disagree on the name of the echoed reasoning; a provider profile picks one.
    reasoning: z.string().optional(),
    reasoning_content: z.string().optional(),
  }),
  z.looseObject({ role: z.literal("tool"), tool_call_id: z.string(), content: z.string() }),
]);
export type ChatMessage = z.infer<typeof ChatMessage>;

export const ChatTool = z.looseObject({
  type: z.literal("function"),
  function: z.looseObject({
    name: z.string(),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()),
    strict: z.boolean().optional(),
  }),
});
export type ChatTool = z.infer<typeof ChatTool>;

export const ChatToolChoice = z.union([
  z.enum(["auto", "none", "required"]),
  z.looseObject({ type: z.literal("function"), function: z.looseObject({ name: z.string() }) }),
]);
export type ChatToolChoice = z.infer<typeof ChatToolChoice>;

export const ChatRequest = z.looseObject({
  model: z.string(),
  messages: z.array(ChatMessage),
  tools: z.array(ChatTool).optional(),
  tool_choice: ChatToolChoice.optional(),
  parallel_tool_calls: z.boolean().optional(),
  max_tokens: z.number().int().optional(),
  temperature: z.number().optional(),
  top_p: z.number().optional(),
  stream: z.literal(true),
  stream_options: z.looseObject({ include_usage: z.boolean() }).optional(),
});
export type ChatRequest = z.infer<typeof ChatRequest>;

/** Reasoning arrives as a string, or as an object holding `text` or `content`. */
const ChatReasoningDelta = z.union([
  z.string(),
  z.looseObject({ text: z.string().nullish(), content: z.string().nullish() }),
]).nullish();

export const ChatDelta = z.looseObject({
  role: z.string().nullish(),
  content: z.string().nullish(),
  reasoning: ChatReasoningDelta,
  reasoning_content: ChatReasoningDelta,
  reasoning_details: z.array(z.looseObject({ text: z.string().nullish() })).nullish(),
  tool_calls: z.array(z.looseObject({
    index: z.number().int().nullish(),
    id: z.string().nullish(),
    function: z.looseObject({
      name: z.string().nullish(),
      arguments: z.string().nullish(),
    }).nullish(),
  })).nullish(),
});
export type ChatDelta = z.infer<typeof ChatDelta>;

export const ChatUsage = z.looseObject({
  prompt_tokens: z.number().nullish(),
  completion_tokens: z.number().nullish(),
  total_tokens: z.number().nullish(),
  prompt_tokens_details: z.looseObject({ cached_tokens: z.number().nullish() }).nullish(),
  completion_tokens_details: z.looseObject({ reasoning_tokens: z.number().nullish() }).nullish(),
});
export type ChatUsage = z.infer<typeof ChatUsage>;

export const ChatChunk = z.looseObject({
  id: z.string().nullish(),
  choices: z.array(z.looseObject({
    index: z.number().nullish(),
    delta: ChatDelta.nullish(),
    // A few servers put the last chunk's fields under `message` instead of `delta`.
    message: ChatDelta.nullish(),
    finish_reason: z.string().nullish(),
  })).nullish(),
  usage: ChatUsage.nullish(),
  error: z.looseObject({
    message: z.string().nullish(),
    type: z.string().nullish(),
    code: z.union([z.string(), z.number()]).nullish(),
  }).nullish(),
});
export type ChatChunk = z.infer<typeof ChatChunk>;
