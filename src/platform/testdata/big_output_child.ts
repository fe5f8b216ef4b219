// Writes a megabyte to stdout, says so on stderr, then exits through exitAfterOutput: under Bun,
// whose writes to a pipe are asynchronous, the reader must still get every byte.
import process from "node:process";
import { exitAfterOutput } from "../mod.ts";

process.stdout.write("x".repeat(1_000_000) + "\n");
process.stderr.write("written\n");
exitAfterOutput(0);
