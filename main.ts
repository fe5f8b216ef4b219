import { exit, exitAfterOutput, programArgs } from "./src/platform/mod.ts";
import { main, VERSION } from "./src/cli/mod.ts";
import { resolve } from "node:path";
import { prefetchGitFacts } from "./src/system/mod.ts";

/** The folder `exec` works in: the last `-C`/`--cd` given, else the current one. */
function execFolder(argv: string[]): string {
  let dir = ".";
  argv.forEach((arg, i) => {
    if ((arg === "-C" || arg === "--cd") && i + 1 < argv.length) dir = argv[i + 1];
    else if (arg.startsWith("--cd=")) dir = arg.slice("--cd=".length);
  });
  return resolve(dir);
}

const args = programArgs();
// `--version` is what scripts probe most; answer it before loading the rest of the program.
if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
  console.log(`tscodex ${VERSION}`);
  exit(0);
}
// `exec` needs git's view of its folder before its first request: start asking while the rest of
// the program loads.
if (args[0] === "exec" || args[0] === "e") prefetchGitFacts(execFolder(args));
main(args).then(exitAfterOutput);
