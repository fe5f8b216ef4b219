// The conformance harness: record upstream Codex, normalise, diff tscodex against it, grade
// Responses providers.
export { compareWithBaseline, readBaseline } from "./baseline.ts";
export {
  ConformanceScenario,
  loadScenarios,
  parseConformanceScenario,
  scenarioDigest,
} from "./conformance_scenario.ts";
export { BUILTIN_ROOT, BUNDLE_NAME, bundleConformance, hasBuiltin } from "./files.ts";
export { fixtureVersions, readFixture, writeFixture } from "./fixtures.ts";
export { normaliseRecording } from "./normalise.ts";
export { gradeProvider, passedAll, type ProviderCard } from "./provider.ts";
export {
  renderProviderHtml,
  renderProviderJson,
  renderProviderMarkdown,
} from "./provider_report.ts";
export type { Recording } from "./recording.ts";
export { passed, preview, renderJson, renderMarkdown } from "./report.ts";
export {
  compareRecordings,
  fixtureDir,
  NEWEST_UPSTREAM,
  PRIMARY_UPSTREAM,
  RECORDED_UPSTREAMS,
  runConformance,
} from "./runner.ts";
export { type Exit, runProcess, runScenario, type Subject } from "./scenario_run.ts";
export { startServeInFront } from "./through_serve.ts";
export { CODEX_TUI, TSCODEX_REPL } from "./tty.ts";
export { cacheRoot, findUpstreamBinary, installUpstream, upstreamDir } from "./upstream.ts";
