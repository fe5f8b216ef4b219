export * from "./catalog.ts";
export * from "./client.ts";
export * from "./errors.ts";
export * from "./identity.ts";
export * from "./request.ts";
export * from "./retry.ts";
export * from "./sample.ts";
export * from "./turn_metadata.ts";
