export { openAgentSession } from "./open_session.ts";
export type { AgentSession, AgentSessionOptions } from "./options.ts";
