import { main } from "./src/cli/mod.ts";
import { exit, programArgs } from "./src/platform/mod.ts";

exit(await main(programArgs()));
