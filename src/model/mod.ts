export { type InstructionFamily, modelInfo, type TruncationPolicy } from "./catalog.ts";
export { ResponsesClient } from "./client.ts";
export { classify, ContextWindowExceededError, explain, ResponsesHttpError } from "./errors.ts";
export { clientIdentity } from "./identity.ts";
export { modelParameters, type ModelSettings, requestBody, sessionHeaders } from "./request.ts";
export { sample, type SampleResult } from "./sample.ts";
