// Builds the single binary dist/tscodex: `deno compile` when a denort runtime is at hand
// (DENORT_BIN), otherwise `bun build --compile`, which needs nothing from the network. The Bun
// build carries the conformance scenarios and fixtures as one deflated archive, so `tscodex
// conformance` works from any folder. `--out FILE` writes the binary elsewhere.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import process from "node:process";
import { parseArgs } from "node:util";
import { BUNDLE_NAME, bundleConformance } from "../conformance/mod.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { out: { type: "string", default: join(root, "dist", "tscodex") } },
});
const out = resolve(values.out!);
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
  // The archive sits beside the binary under its fixed name: Bun embeds every extra entry point
  // given to --compile, named by --asset-naming, and the binary finds it by that name.
  const bundle = join(dirname(out), BUNDLE_NAME);
  const helper = join(dirname(out), "conformance-helper.mjs");
  writeFileSync(
    bundle,
    bundleConformance(root, (script) => {
      // A scenario's helper program with its imports inlined, runnable by node anywhere.
      run(tool("bun"), ["build", script, "--target=node", "--format=esm", "--outfile", helper]);
      return readFileSync(helper);
    }),
  );
  rmSync(helper);
  console.error(`wrote ${bundle} (${(statSync(bundle).size / 1024 / 1024).toFixed(1)} MiB)`);
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
    bundle,
    "--asset-naming=[name].[ext]",
    "--outfile",
    out,
  ]);
}
console.error(`wrote ${out} (${(statSync(out).size / 1024 / 1024).toFixed(1)} MiB)`);
