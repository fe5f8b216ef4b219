export * from "./home.ts";
export * from "./load.ts";
