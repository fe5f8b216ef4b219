export {
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_STORE_BYTES,
  DEFAULT_STORE_SIZE,
  type ProxyOptions,
  ResponsesProxy,
} from "./proxy.ts";
export { type AccessOptions } from "./access.ts";
export { type DownstreamApi, type DownstreamOptions, downstreamTarget } from "./downstream.ts";
export {
  CHAT_PROFILES,
  type ChatProfile,
  chatProfile,
  DEFAULT_CHAT_PROFILE,
} from "./chat_profiles.ts";
export { Dump } from "./dump.ts";
export { TOKEN_DUMP_ENVS, TokenDump } from "./token_dump.ts";
export { DEFAULT_MAX_TOKENS } from "./messages.ts";
export {
  DEFAULT_REDIS_TTL_SECONDS,
  isRedisUrl,
  redactRedisUrl,
  RedisResponseStore,
} from "./redis_store.ts";
export {
  MemoryResponseStore,
  type MemoryStoreLimits,
  type ResponseStore,
  type StoredResponse,
} from "./response_store.ts";
