// Builds the single binary dist/tscodex: `deno compile` when a denort runtime is at hand
// (DENORT_BIN), otherwise `bun build --compile`, which needs nothing from the network.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import process from "node:process";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist", "tscodex");
mkdirSync(dirname(out), { recursive: true });

function tool(name: string): string {
  const local = join(root, "node_modules", ".bin", name);
  return existsSync(local) ? local : name;
}

function run(command: string, args: string[]): void {
  console.error(`$ ${[command, ...args].join(" ")}`);
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit", env: process.env });
  if (result.status !== 0) {
    console.error(`build failed: ${command} exited with ${result.status ?? result.signal}`);
    process.exit(1);
  }
}

const denort = process.env.DENORT_BIN;
if (denort && existsSync(denort)) {
  run(tool("deno"), ["compile", "-A", "--no-check", "--output", out, "main.ts"]);
} else {
  if (denort) console.error(`DENORT_BIN=${denort} does not exist; building with Bun instead`);
  // --splitting keeps what a subcommand loads with `import()` (and the node: built-ins it imports)
  // out of the start-up path: `exec` does not pay for the REPL, serve or the conformance suite.
  // --bytecode ships the code compiled, which roughly halves start-up (it needs ESM output).
  run(tool("bun"), [
    "build",
    "--compile",
    "--minify",
    "--splitting",
    "--bytecode",
    "--format=esm",
    "--target=bun",
    "main.ts",
    "--outfile",
    out,
  ]);
}
console.error(`wrote ${out} (${(statSync(out).size / 1024 / 1024).toFixed(1)} MiB)`);
