export * from "./responses.ts";
export * from "./events.ts";
export * from "./sse.ts";
export * from "./ids.ts";
export * from "./chat.ts";
export * from "./messages.ts";
export * from "./pairing.ts";
