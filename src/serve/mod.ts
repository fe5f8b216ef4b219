export { DEFAULT_STORE_SIZE, type ProxyOptions, ResponsesProxy } from "./proxy.ts";
export { type DownstreamApi, type DownstreamOptions } from "./downstream.ts";
export { CHAT_PROFILES, type ChatProfile, chatProfile, DEFAULT_CHAT_PROFILE } from "./providers.ts";
export { Dump } from "./dump.ts";
export { DEFAULT_MAX_TOKENS } from "./messages.ts";
