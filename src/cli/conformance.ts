// `tscodex conformance`: runs tscodex through the recorded upstream scenarios and diffs it against
// the fixtures, or (`--grade-provider`) replays the recorded requests against a live Responses
// endpoint and grades what comes back.
import { type Command, InvalidArgumentError, Option } from "commander";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import {
  cacheRoot,
  compareWithBaseline,
  gradeProvider,
  passed,
  preview,
  PRIMARY_UPSTREAM,
  readBaseline,
  renderJson,
  renderMarkdown,
  renderProviderJson,
  renderProviderMarkdown,
  runConformance,
  type Subject,
  TSCODEX_REPL,
} from "../../conformance/mod.ts";
import { runtime } from "../platform/mod.ts";
import { EXIT_FAILED, EXIT_OK, UsageError } from "./exec.ts";

export interface ConformanceOptions {
  upstream: string;
  scenario: string[];
  report: "md" | "json";
  binary?: string;
  fixtures?: string;
  scenarios?: string;
  save?: string;
  keep?: boolean;
  gradeProvider?: string;
  apiKeyEnv?: string;
  model?: string;
  out?: string;
  baseline?: string;
}

/** The checkout this module belongs to, when running from source (not from a compiled binary). */
function sourceRoot(): string | undefined {
  if (!import.meta.url.startsWith("file:")) return undefined;
  const root = fileURLToPath(new URL("../../", import.meta.url));
  return existsSync(join(root, "main.ts")) && existsSync(join(root, "conformance"))
    ? root
    : undefined;
}

/** This very tscodex: the compiled binary itself, or `deno run` of the checkout it came from. */
export function selfSubject(binary?: string): Subject {
  if (binary) {
    return { name: `tscodex (${binary})`, command: [resolve(binary)], tty: TSCODEX_REPL };
  }
  const root = sourceRoot();
  if (root && runtime() === "deno") {
    return {
      name: "tscodex (deno run main.ts)",
      command: [
        process.execPath,
        "run",
        "-A",
        "--quiet",
        `--config=${join(root, "deno.json")}`,
        join(root, "main.ts"),
      ],
      // The sandbox's empty HOME would hide Deno's module cache and make every run recompile.
      env: {
        DENO_DIR: process.env.DENO_DIR ?? join(homedir(), ".cache", "deno"),
        DENO_NO_UPDATE_CHECK: "1",
      },
      tty: TSCODEX_REPL,
    };
  }
  return { name: "tscodex", command: [process.execPath], tty: TSCODEX_REPL };
}

function defaultDir(name: string, given?: string): string {
  if (given) return resolve(given);
  const root = sourceRoot();
  return root ? join(root, name) : resolve(name);
}

async function emit(text: string, out?: string): Promise<void> {
  if (out) await writeFile(out, text);
  else process.stdout.write(text);
}

export async function runConformanceCommand(options: ConformanceOptions): Promise<number> {
  const fixturesDir = defaultDir("fixtures", options.fixtures);
  const scenariosDir = defaultDir(join("conformance", "scenarios"), options.scenarios);
  const log = (line: string) => process.stderr.write(`${line}\n`);

  if (options.gradeProvider) {
    let apiKey: string | undefined;
    if (options.apiKeyEnv) {
      apiKey = process.env[options.apiKeyEnv];
      if (!apiKey) {
        throw new UsageError(`--api-key-env ${options.apiKeyEnv}: that variable is not set`);
      }
    }
    const card = await gradeProvider({
      baseUrl: options.gradeProvider,
      apiKey,
      model: options.model,
      fixturesDir,
      upstream: options.upstream,
      only: options.scenario,
      log,
    });
    await emit(
      options.report === "json" ? renderProviderJson(card) : renderProviderMarkdown(card),
      options.out,
    );
    return card.results.every((r) => r.checks.every((c) => c.ok)) ? EXIT_OK : EXIT_FAILED;
  }

  const report = await runConformance({
    scenariosDir,
    fixturesDir,
    upstream: options.upstream,
    only: options.scenario,
    subject: selfSubject(options.binary),
    workRoot: join(cacheRoot(), "runs"),
    saveDir: options.save ? resolve(options.save) : undefined,
    keep: options.keep,
    log,
  });
  await emit(options.report === "json" ? renderJson(report) : renderMarkdown(report), options.out);
  if (!options.baseline) return report.results.every(passed) ? EXIT_OK : EXIT_FAILED;
  const { regressions, fixed } = compareWithBaseline(report, await readBaseline(options.baseline));
  for (const d of regressions) {
    log(`regression: ${d.scenario} ${d.category} ${d.field}: ${preview(d.actual)}`);
  }
  log(`against ${options.baseline}: ${regressions.length} regression(s), ${fixed.length} fixed`);
  return regressions.length ? EXIT_FAILED : EXIT_OK;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parseUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.protocol === "http:" || url.protocol === "https:") return value.replace(/\/+$/, "");
  } catch {
    // Reported below.
  }
  throw new InvalidArgumentError("expected an http(s) base URL, e.g. http://127.0.0.1:8080/v1");
}

/** Adds the `conformance` subcommand; `setExit` receives its exit code. */
export function registerConformance(program: Command, setExit: (code: number) => void): void {
  const conformance = program.command("conformance")
    .enablePositionalOptions()
    .description(
      "diff tscodex against recorded upstream Codex runs, or grade a Responses provider",
    )
    .option("--upstream <version>", "upstream fixtures to compare with", PRIMARY_UPSTREAM)
    .option("--scenario <name>", "only this scenario (repeatable)", collect, [])
    .addOption(
      new Option("--report <format>", "report format").choices(["md", "json"]).default("md"),
    )
    .option("--out <file>", "write the report here instead of stdout")
    .option("--binary <path>", "the tscodex binary to test (default: this tscodex)")
    .option("--fixtures <dir>", "fixtures folder (default: the checkout's fixtures/)")
    .option("--scenarios <dir>", "scenario folder (default: conformance/scenarios/)")
    .option("--save <dir>", "also write our normalised runs here, laid out like the fixtures")
    .option("--keep", "keep each run's temporary CODEX_HOME and work dir")
    .option(
      "--baseline <file>",
      "a saved --report json: exit 1 only on differences it does not list",
    )
    .addOption(
      new Option(
        "--grade-provider <base_url>",
        "replay the recorded requests against this endpoint",
      )
        .argParser(parseUrl),
    )
    .option("--api-key-env <var>", "with --grade-provider: send $VAR as the bearer token")
    .option("--model <model>", "with --grade-provider: the model to ask for")
    .action(async (opts: ConformanceOptions) => {
      setExit(await runConformanceCommand(opts));
    });
  // The spelling of provider grading, as a subcommand.
  conformance.command("provider")
    .description("grade a Responses provider by replaying the recorded requests against it")
    .requiredOption(
      "--base-url <url>",
      "the provider's base URL, e.g. http://127.0.0.1:8080/v1",
      parseUrl,
    )
    .option("--api-key-env <var>", "send $VAR as the bearer token")
    .option("--model <model>", "the model to ask for")
    .option("--upstream <version>", "whose recorded requests to replay", PRIMARY_UPSTREAM)
    .option("--fixtures <dir>", "fixtures folder (default: the checkout's fixtures/)")
    .addOption(
      new Option("--report <format>", "report format").choices(["md", "json"]).default("md"),
    )
    .option("--out <file>", "write the report here instead of stdout")
    .action(async (opts: ConformanceOptions & { baseUrl: string }) => {
      const { baseUrl, ...rest } = opts;
      setExit(await runConformanceCommand({ ...rest, scenario: [], gradeProvider: baseUrl }));
    });
}
