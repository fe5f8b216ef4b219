// The Responses wire and what every client of it shares. The chat-completions and Anthropic
// Messages wires (chat.ts, messages.ts) are imported directly by `serve`, the only part that
// speaks them, so the agent does not build their schemas at every start.
export * from "./responses.ts";
export * from "./events.ts";
export * from "./sse.ts";
export * from "./ids.ts";
export * from "./pairing.ts";
