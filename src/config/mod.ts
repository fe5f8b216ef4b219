export * from "./dotenv.ts";
export * from "./errors.ts";
export * from "./home.ts";
export * from "./load.ts";
export * from "./overrides.ts";
export * from "./providers.ts";
export * from "./schema.ts";
export * from "./secret.ts";
