// What tests in other folders use from the tools' test support.
export { sandboxMissing } from "./command_testing.ts";
