export * from "./scenario.ts";
export * from "./server.ts";
export { DEMO_SCENARIO } from "./demo.ts";
export * from "./invariants.ts";
