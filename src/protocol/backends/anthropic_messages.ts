// Anthropic Messages wire types: the request the serve proxy sends downstream and the streamed
// events it reads back. Stream events of unknown types are ignored by the reader, so only the
// known ones are typed here.
import { z } from "zod";

export const MessagesTextBlock = z.looseObject({ type: z.literal("text"), text: z.string() });
export const MessagesImageBlock = z.looseObject({
  type: z.literal("image"),
  source: z.discriminatedUnion("type", [
    z.looseObject({ type: z.literal("base64"), media_type: z.string(), data: z.string() }),
    z.looseObject({ type: z.literal("url"), url: z.string() }),
  ]),
});
/** A PDF (base64 or URL) given to the model as a document. */
export const MessagesDocumentBlock = z.looseObject({
  type: z.literal("document"),
  source: z.discriminatedUnion("type", [
    z.looseObject({ type: z.literal("base64"), media_type: z.string(), data: z.string() }),
    z.looseObject({ type: z.literal("url"), url: z.string() }),
  ]),
  title: z.string().optional(),
});
/** Thinking is only replayed with the signature the backend issued for it. */
export const MessagesThinkingBlock = z.looseObject({
  type: z.literal("thinking"),
  thinking: z.string(),
  signature: z.string(),
});
export const MessagesToolUseBlock = z.looseObject({
  type: z.literal("tool_use"),
  id: z.string(),
  name: z.string(),
  input: z.record(z.string(), z.unknown()),
});
export const MessagesToolResultBlock = z.looseObject({
  type: z.literal("tool_result"),
  tool_use_id: z.string(),
  content: z.union([
    z.string(),
    z.array(z.union([MessagesTextBlock, MessagesImageBlock, MessagesDocumentBlock])),
  ]),
});

export const MessagesBlock = z.discriminatedUnion("type", [
  MessagesTextBlock,
  MessagesImageBlock,
  MessagesDocumentBlock,
  MessagesThinkingBlock,
  MessagesToolUseBlock,
  MessagesToolResultBlock,
]);
export type MessagesBlock = z.infer<typeof MessagesBlock>;
export type MessagesImageBlock = z.infer<typeof MessagesImageBlock>;
export type MessagesDocumentBlock = z.infer<typeof MessagesDocumentBlock>;
export type MessagesTextBlock = z.infer<typeof MessagesTextBlock>;

export const MessagesMessage = z.looseObject({
  role: z.enum(["user", "assistant"]),
  content: z.array(MessagesBlock),
});
export type MessagesMessage = z.infer<typeof MessagesMessage>;

export const MessagesTool = z.looseObject({
  name: z.string(),
  description: z.string().optional(),
  input_schema: z.record(z.string(), z.unknown()),
});
export type MessagesTool = z.infer<typeof MessagesTool>;

export const MessagesToolChoice = z.looseObject({
  type: z.enum(["auto", "any", "none", "tool"]),
  name: z.string().optional(),
  disable_parallel_tool_use: z.boolean().optional(),
});
export type MessagesToolChoice = z.infer<typeof MessagesToolChoice>;

export const MessagesRequest = z.looseObject({
  model: z.string(),
  max_tokens: z.number().int().positive(),
  system: z.array(MessagesTextBlock).optional(),
  messages: z.array(MessagesMessage),
  tools: z.array(MessagesTool).optional(),
  tool_choice: MessagesToolChoice.optional(),
  temperature: z.number().optional(),
  top_p: z.number().optional(),
  stream: z.literal(true),
});
export type MessagesRequest = z.infer<typeof MessagesRequest>;

export const MessagesUsage = z.looseObject({
  input_tokens: z.number().nullish(),
  output_tokens: z.number().nullish(),
  cache_creation_input_tokens: z.number().nullish(),
  cache_read_input_tokens: z.number().nullish(),
});
export type MessagesUsage = z.infer<typeof MessagesUsage>;

const Indexed = { index: z.number().int() };

export const MessagesStreamEvent = z.discriminatedUnion("type", [
  z.looseObject({
    type: z.literal("message_start"),
    message: z.looseObject({ usage: MessagesUsage.nullish() }),
  }),
  z.looseObject({
    type: z.literal("content_block_start"),
    ...Indexed,
    content_block: z.looseObject({
      type: z.string(),
      text: z.string().nullish(),
      thinking: z.string().nullish(),
      signature: z.string().nullish(),
      id: z.string().nullish(),
      name: z.string().nullish(),
    }),
  }),
  z.looseObject({
    type: z.literal("content_block_delta"),
    ...Indexed,
    delta: z.looseObject({
      type: z.string(),
      text: z.string().nullish(),
      thinking: z.string().nullish(),
      signature: z.string().nullish(),
      partial_json: z.string().nullish(),
    }),
  }),
  z.looseObject({ type: z.literal("content_block_stop"), ...Indexed }),
  z.looseObject({
    type: z.literal("message_delta"),
    delta: z.looseObject({ stop_reason: z.string().nullish() }).nullish(),
    usage: MessagesUsage.nullish(),
  }),
  z.looseObject({ type: z.literal("message_stop") }),
  z.looseObject({ type: z.literal("ping") }),
  z.looseObject({
    type: z.literal("error"),
    error: z.looseObject({ type: z.string().nullish(), message: z.string().nullish() }),
  }),
]);
export type MessagesStreamEvent = z.infer<typeof MessagesStreamEvent>;

export const MESSAGES_STREAM_EVENT_TYPES: ReadonlySet<string> = new Set(
  MessagesStreamEvent.options.map((o) => o.shape.type.value),
);
