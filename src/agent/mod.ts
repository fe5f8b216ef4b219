export * from "./agent.ts";
export * from "./history.ts";
export * from "./context.ts";
