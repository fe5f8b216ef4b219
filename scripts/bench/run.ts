// Benchmarks of the built binary: size, start-up (`--version`) and the offline demo end to end.
// Usage: deno task bench [-- --runs N]   (build first: deno task build)
// Prints a Markdown table to paste into docs/PERFORMANCE.md, with the machine it ran on.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, statSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const binary = join(root, "dist", "tscodex");
const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { runs: { type: "string", default: "20" } },
});
const runs = Number(values.runs);
if (!existsSync(binary)) {
  console.error(`no ${binary}: run \`npx deno task build\` first`);
  process.exit(1);
}

interface Sample {
  ms: number;
  maxRssKb: number;
}

/** Runs a command once under GNU time for the peak RSS; wall time measured here. */
function measure(args: string[], cwd: string, env: Record<string, string>): Sample {
  const started = performance.now();
  const result = spawnSync("/usr/bin/time", ["-f", "%M", binary, ...args], {
    cwd,
    env,
    encoding: "utf8",
  });
  const ms = performance.now() - started;
  if (result.status !== 0) {
    throw new Error(`${args.join(" ")} exited ${result.status}: ${result.stderr}`);
  }
  const lines = result.stderr.trim().split("\n");
  return { ms, maxRssKb: Number(lines.at(-1)) };
}

function summarise(samples: Sample[]): { median: number; p90: number; rssMb: number } {
  const times = samples.map((s) => s.ms).sort((a, b) => a - b);
  return {
    median: times[Math.floor(times.length / 2)],
    p90: times[Math.min(times.length - 1, Math.floor(times.length * 0.9))],
    rssMb: Math.max(...samples.map((s) => s.maxRssKb)) / 1024,
  };
}

const work = mkdtempSync(join(tmpdir(), "tscodex-bench-"));
const env = { PATH: "/usr/bin:/bin", HOME: work, CODEX_HOME: join(work, "none") };
const version = summarise(Array.from({ length: runs }, () => measure(["--version"], work, env)));
const demo = summarise(
  Array.from(
    { length: runs },
    () => measure(["exec", "--skip-git-repo-check", "Show me what you can do."], work, env),
  ),
);
const sizeMb = statSync(binary).size / 1024 / 1024;

console.log(
  `Machine: ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${
    (totalmem() / 2 ** 30).toFixed(0)
  } GiB`,
);
console.log(`Runs per row: ${runs}\n`);
console.log("| measure | median | p90 | peak RSS |");
console.log("|---|---|---|---|");
console.log(`| binary size | ${sizeMb.toFixed(1)} MiB | | |`);
console.log(
  `| \`tscodex --version\` | ${version.median.toFixed(1)} ms | ${version.p90.toFixed(1)} ms | ${
    version.rssMb.toFixed(1)
  } MiB |`,
);
console.log(
  `| offline demo (\`exec\`, 3 requests, 2 commands) | ${demo.median.toFixed(1)} ms | ${
    demo.p90.toFixed(1)
  } ms | ${demo.rssMb.toFixed(1)} MiB |`,
);
