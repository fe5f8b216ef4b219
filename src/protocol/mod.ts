// The Responses wire and what every client of it shares. The chat-completions and Anthropic
// Messages wires are a folder of their own (backends/), imported only by `serve`, the one part
// that speaks them, so the agent does not build their schemas at every start.
export { randomHex, uuidv7 } from "./ids.ts";
export { abortedOutputs, pairDanglingCalls } from "./pairing.ts";
export {
  isKnownEvent,
  MalformedEventError,
  parseEvent,
  type ResponseEvent,
} from "./response_events.ts";
export {
  ContentPart,
  CustomTool,
  CustomToolCallOutputItem,
  FunctionCallOutputItem,
  FunctionTool,
  IMAGE_CLOSE_TAG,
  imageOpenTag,
  isImageTag,
  isKnownItem,
  isToolCall,
  KnownItem,
  MessageItem,
  messageText,
  ResponseItem,
  ResponsesRequest,
  type ToolCallItem,
  ToolChoice,
  ToolOutput,
  ToolSpec,
  Usage,
} from "./responses.ts";
export { encodeJsonEvent, encodeSseFrame, readSse, SSE_HEADERS } from "./sse.ts";
export { isContextOverflow } from "./overflow.ts";
export { responseResource, type ResponseState } from "./resource.ts";
