// Benchmark of the command sandbox's cost: exec_command running `true` through the real tool,
// unsandboxed (danger-full-access) and inside bubblewrap (read-only, workspace-write), on pipes
// and on a PTY. Each call is timed from the tool call to its reply.
// Usage: deno run -A scripts/bench/sandbox.ts [--runs 50]
// Prints a Markdown table to paste into docs/PERFORMANCE.md, with the machine it ran on.
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import {
  execCommandTools,
  ProcessManager,
  type SandboxPolicy,
  sandboxSupport,
  ToolRegistry,
} from "../../src/tools/mod.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { runs: { type: "string", default: "50" } },
});
const runs = Number(values.runs);
const support = sandboxSupport();
if (!support.ok) {
  console.error(`cannot measure the sandbox here: ${support.problem}`);
  process.exit(1);
}

const cwd = mkdtempSync(join(tmpdir(), "tscodex-sandbox-bench-"));
const processes = new ProcessManager({ env: { HOME: cwd } });
const registry = new ToolRegistry(execCommandTools(processes));

async function timeCall(sandbox: SandboxPolicy, tty: boolean): Promise<number> {
  const started = performance.now();
  const item = await registry.run({
    type: "function_call",
    call_id: "bench",
    name: "exec_command",
    arguments: JSON.stringify({ cmd: "true", login: false, tty }),
  }, { cwd, callId: "bench", signal: new AbortController().signal, sandbox });
  const ms = performance.now() - started;
  if (!String(item.output).includes("Process exited with code 0")) {
    throw new Error(`exec_command failed:\n${item.output}`);
  }
  return ms;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * p) - 1)];
}

const cases: Array<[string, SandboxPolicy]> = [
  ["danger-full-access (no sandbox)", { mode: "danger-full-access" }],
  ["read-only", { mode: "read-only" }],
  ["workspace-write", { mode: "workspace-write" }],
];
const rows: string[] = [];
for (const tty of [false, true]) {
  let baseline: number | undefined;
  for (const [name, sandbox] of cases) {
    await timeCall(sandbox, tty); // warm-up: first spawn, sandbox probe, PTY lookup
    const times: number[] = [];
    for (let i = 0; i < runs; i++) times.push(await timeCall(sandbox, tty));
    times.sort((a, b) => a - b);
    const p50 = percentile(times, 0.5);
    baseline ??= p50;
    const overhead = name.startsWith("danger") ? "—" : `+${(p50 - baseline).toFixed(1)} ms`;
    rows.push(
      `| exec_command \`true\`, ${tty ? "tty" : "pipes"}, ${name} | ${p50.toFixed(1)} ms | ` +
        `${percentile(times, 0.99).toFixed(1)} ms | ${overhead} |`,
    );
  }
}
processes.killAll();
rmSync(cwd, { recursive: true, force: true });

console.log(
  `${new Date().toISOString().slice(0, 10)}, ${cpus().length} × ${cpus()[0]?.model.trim()}, ` +
    `${Math.round(totalmem() / 2 ** 30)} GiB, ${process.versions.deno ? "Deno" : "Bun"} ` +
    `${process.versions.deno ?? process.versions.bun}, bwrap at ${support.bwrap}, ${runs} runs\n`,
);
console.log("| measure | p50 | p99 | sandbox overhead (p50) |\n| --- | --- | --- | --- |");
for (const row of rows) console.log(row);
