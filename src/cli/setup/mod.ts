export { openAgentSession } from "./open_session.ts";
export {
  type AgentSession,
  type AgentSessionOptions,
  type SessionFlags,
  sessionFromFlags,
} from "./options.ts";
export { type BackendFlags, backendSwitches, bridgeBackend } from "./backend_bridge.ts";
