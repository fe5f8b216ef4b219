export { DEMO_SCENARIO } from "./demo.ts";
export { requestInvariantViolations } from "./invariants.ts";
export {
  loadScenario,
  parseScenario,
  type ScenarioInput,
  ScriptedResponse,
  ScriptRoute,
} from "./scenario.ts";
export {
  FakeResponsesServer,
  InvalidRequestsError,
  type RecordedRequest,
  scriptEvents,
} from "./server.ts";
