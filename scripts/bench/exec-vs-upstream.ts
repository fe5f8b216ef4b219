// tscodex's binary against upstream Codex on the same scripted work: `--version`, a plain reply, and
// 20 sequential exec_command calls running `true` (`exec -s danger-full-access` for both). Runs
// alternate between the two programs; each row is the median of --runs, with the peak RSS from
// GNU time. Prints a Markdown table with the ratios, to paste into docs/PERFORMANCE.md.
// Usage: deno run -A scripts/bench/exec-vs-upstream.ts [--runs 5] [--upstream 0.115.0] [--binary dist/tscodex]
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { cpus, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  cacheRoot,
  type ConformanceScenario,
  installUpstream,
  parseConformanceScenario,
  runScenario,
  type Subject,
  upstreamDir,
} from "../../conformance/mod.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    runs: { type: "string", default: "5" },
    upstream: { type: "string", default: "0.115.0" },
    binary: { type: "string", default: join(root, "dist", "tscodex") },
  },
});
const runs = Number(values.runs);
const binary = resolve(values.binary);
if (!existsSync(binary)) {
  console.error(`no ${binary}: run \`npx deno task build\` first`);
  process.exit(1);
}
if (!existsSync("/usr/bin/time")) {
  console.error("GNU time (/usr/bin/time) is needed for the peak RSS");
  process.exit(1);
}

const EXEC = ["exec", "-s", "danger-full-access"];
const calls = Array.from({ length: 20 }, (_, i) => ({
  output: [{
    type: "function_call",
    call_id: `call_${i + 1}`,
    name: "exec_command",
    arguments: { cmd: "true" },
  }],
}));
const SCENARIOS: Array<[string, ConformanceScenario]> = [
  ["`--version`", { runs: [{ argv: ["--version"] }], git: false }],
  ["plain reply (`exec`, 1 request)", { runs: [{ argv: [...EXEC, "Say hello"] }] }],
  ["20 × exec_command `true` (21 requests)", {
    runs: [{ argv: [...EXEC, "Run true 20 times"] }],
    responses: [...calls, { output: [{ type: "message", text: "Done." }] }],
  }],
].map(([label, extra]) => [
  label as string,
  parseConformanceScenario({
    name: "bench",
    description: String(label),
    responses: [{ output: [{ type: "message", text: "Hello." }] }],
    ...(extra as object),
  }, "<inline>"),
]);

interface Sample {
  ms: number;
  rssKb: number;
}

const work = join(cacheRoot(), "runs");

/** One run under GNU time; the peak RSS goes to a file so the program's stderr stays its own. */
async function measure(scenario: ConformanceScenario, command: string[]): Promise<Sample> {
  const program = command.join(" ");
  await mkdir(work, { recursive: true });
  const dir = await mkdtemp(join(work, "bench-"));
  const rssFile = join(dir, "rss");
  const subject: Subject = {
    name: program,
    command: ["/usr/bin/time", "-f", "%M", "-o", rssFile, ...command],
  };
  try {
    const raw = await runScenario(scenario, subject, { workRoot: work });
    const run = raw.runs[0];
    // Every scripted response must be asked for, or the program skipped part of the work.
    const expected = run.argv.includes("--version") ? 0 : scenario.responses.length;
    if (run.requests.length !== expected) {
      throw new Error(`${program} sent ${run.requests.length} requests, not ${expected}`);
    }
    if (run.exit_code !== 0) {
      throw new Error(
        `${program} ${scenario.runs[0].argv.join(" ")} exited ${run.exit_code}: ${run.stderr}`,
      );
    }
    return {
      ms: raw.wallMs[0],
      rssKb: Number(readFileSync(rssFile, "utf8").trim().split("\n").at(-1)),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const upstream = await installUpstream(values.upstream, (line) => console.error(line));
// How users run upstream: `codex` is the npm package's Node launcher, which starts the native
// binary. Measured too when Node is on PATH.
const launcher = join(upstreamDir(values.upstream), "node_modules", "@openai", "codex", "bin");
const node = ["/usr/local/bin/node", "/usr/bin/node"].find((path) => existsSync(path));
const viaLauncher = node && existsSync(join(launcher, "codex.js"))
  ? [node, join(launcher, "codex.js")]
  : undefined;
const rows: string[] = [];
for (const [label, scenario] of SCENARIOS) {
  const ours: Sample[] = [];
  const theirs: Sample[] = [];
  const launched: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    // Alternate, so drift in machine load hits every program alike.
    theirs.push(await measure(scenario, [upstream]));
    if (viaLauncher) launched.push(await measure(scenario, viaLauncher));
    ours.push(await measure(scenario, [binary]));
  }
  const ms = (samples: Sample[]) => median(samples.map((s) => s.ms));
  const mib = (samples: Sample[]) => median(samples.map((s) => s.rssKb)) / 1024;
  const [t, o] = [ms(theirs), ms(ours)];
  const viaNpm = viaLauncher
    ? `${ms(launched).toFixed(0)} ms | ${(o / ms(launched)).toFixed(2)}× | `
    : "– | – | ";
  rows.push(
    `| ${label} | ${t.toFixed(0)} ms | ${o.toFixed(0)} ms | ${(o / t).toFixed(2)}× | ${viaNpm}` +
      `${mib(theirs).toFixed(1)} MiB | ${mib(ours).toFixed(1)} MiB | ` +
      `${(mib(ours) / mib(theirs)).toFixed(2)}× |`,
  );
  console.error(`${label}: done`);
}

console.log(
  `Machine: ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${
    (totalmem() / 2 ** 30).toFixed(0)
  } GiB; ` +
    `upstream ${values.upstream} (native binary, and through the npm launcher) vs ${binary}; ` +
    `median of ${runs} alternating runs\n`,
);
console.log(
  "| measure | upstream | tscodex | ratio | upstream via npm `codex` | ratio | " +
    "upstream peak RSS | tscodex peak RSS | ratio |",
);
console.log("|---|---|---|---|---|---|---|---|---|");
for (const row of rows) console.log(row);
