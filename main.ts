import { exit, programArgs } from "./src/platform/mod.ts";
import { VERSION } from "./src/cli/version.ts";

const args = programArgs();
// `--version` is what scripts probe most; answer it before loading the rest of the program.
if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
  console.log(`tscodex ${VERSION}`);
  exit(0);
}
import("./src/cli/mod.ts").then(({ main }) => main(args)).then(exit);
