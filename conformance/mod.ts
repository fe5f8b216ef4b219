// The conformance harness: record upstream Codex, normalise, diff tscodex against it, grade
// Responses providers.
export * from "./canonical.ts";
export * from "./diff.ts";
export * from "./files.ts";
export * from "./fixtures.ts";
export * from "./normalise.ts";
export type * from "./recording.ts";
export * from "./report.ts";
export * from "./runner.ts";
export * from "./sandbox.ts";
export * from "./scenario.ts";
export * from "./upstream.ts";
export * from "./grade.ts";
export * from "./probes.ts";
export * from "./provider.ts";
export * from "./provider_report.ts";
export * from "./through_serve.ts";
export * from "./baseline.ts";
export * from "./tty.ts";
