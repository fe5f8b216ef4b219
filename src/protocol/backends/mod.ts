// The two wires `serve` speaks to its backends: Chat Completions and Anthropic Messages.
export {
  MESSAGES_STREAM_EVENT_TYPES,
  MessagesBlock,
  MessagesDocumentBlock,
  MessagesImageBlock,
  MessagesMessage,
  MessagesRequest,
  MessagesStreamEvent,
  MessagesTextBlock,
  MessagesToolChoice,
  MessagesUsage,
} from "./anthropic_messages.ts";
export {
  ChatChunk,
  ChatContentPart,
  ChatDelta,
  ChatMessage,
  ChatRequest,
  ChatToolChoice,
} from "./chat_completions.ts";
