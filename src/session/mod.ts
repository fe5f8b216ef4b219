export * from "./schema.ts";
export * from "./lines.ts";
export * from "./paths.ts";
export * from "./reader.ts";
export * from "./recorder.ts";
export * from "./history.ts";
export * from "./store.ts";
export { gitInfo, gitInfoOf } from "./git.ts";
