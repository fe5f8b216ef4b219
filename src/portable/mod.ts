export { collectHome, LIMITS, MAX_BUNDLE_BYTES, seal, unseal } from "./bundle.ts";
export { callHome, fetchBundle, putHome, type PutResult } from "./transfer.ts";
export { PortableError } from "./errors.ts";
export { callSpecText, parseCallSpec, parsePutSpec } from "./spec.ts";
export { storageHandler } from "./storage_server.ts";
