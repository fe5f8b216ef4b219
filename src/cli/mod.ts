// The command line and the embedding API. `main` loads the program when first called, so the
// entry point can answer `--version` (and start asking git about the work folder for `exec`)
// before the rest is loaded; `Agent` likewise loads the session's modules when first created.
export { VERSION } from "./version.ts";
export {
  Agent,
  type AgentAnswer,
  type AgentEvent,
  type AgentOptions,
  type AgentTool,
  type AskOptions,
} from "./embedded_agent.ts";

export async function main(argv: string[]): Promise<number> {
  const cli = await import("./main.ts");
  return await cli.main(argv);
}
