export * from "./agent.ts";
export * from "./history.ts";
export * from "./context.ts";
export * from "./queue.ts";
export * from "./compact.ts";
export * from "./rollout.ts";
export * from "./skills.ts";
