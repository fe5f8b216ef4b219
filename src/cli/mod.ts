// The command line. `main` loads the program when first called, so the entry point can answer
// `--version` (and start asking git about the work folder for `exec`) before the rest is loaded.
export { VERSION } from "./version.ts";

export async function main(argv: string[]): Promise<number> {
  const cli = await import("./main.ts");
  return await cli.main(argv);
}
