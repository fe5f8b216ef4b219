// What tests in other folders use to drive a real agent.
export { collabBackend } from "./testdata/collab.ts";
