export { type ReplOptions, runRepl } from "./repl.ts";
