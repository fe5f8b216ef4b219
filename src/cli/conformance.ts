// `tscodex conformance`: runs tscodex through the recorded upstream scenarios and diffs it against
// the fixtures; `tscodex conformance provider` sends the recorded requests and a generic
// specification set to a live Responses endpoint (or to serve started in front of a chat or
// messages backend) and grades every answer. The scenarios and fixtures come from --fixtures, the
// checkout this runs from, or the archive built into the binary.
import { type Command, InvalidArgumentError, Option } from "commander";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import {
  BUILTIN_ROOT,
  cacheRoot,
  compareWithBaseline,
  fixtureVersions,
  gradeProvider,
  hasBuiltin,
  passed,
  passedAll,
  preview,
  PRIMARY_UPSTREAM,
  type ProviderCard,
  readBaseline,
  renderJson,
  renderMarkdown,
  renderProviderHtml,
  renderProviderJson,
  renderProviderMarkdown,
  runConformance,
  startServeInFront,
  type Subject,
  TSCODEX_REPL,
} from "../../conformance/mod.ts";
import { runtime } from "../platform/mod.ts";
import { CHAT_PROFILES, DEFAULT_CHAT_PROFILE } from "../serve/mod.ts";
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
  out?: string;
  baseline?: string;
  /** The old spelling of `conformance provider --base-url`. */
  gradeProvider?: string;
  apiKeyEnv?: string;
  model?: string;
}

export interface ProviderOptions {
  baseUrl: string;
  api: ProviderCard["api"];
  /** With `--api chat`: serve's profile for the backend. */
  chatProfile?: string;
  apiKeyEnv?: string;
  model?: string;
  upstream: string;
  fixtures?: string;
  scenario: string[];
  report: "md" | "json" | "html";
  out?: string;
  parallel: number;
  timeout: number;
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

interface Sources {
  fixturesDir: string;
  scenariosDir: string;
}

/**
 * Where the scenarios and fixtures come from: the folders given, else the checkout this runs
 * from, else the archive built into this binary.
 */
async function sources(fixtures?: string, scenarios?: string): Promise<Sources> {
  const root = sourceRoot();
  const builtin = !root && await hasBuiltin();
  const pick = (given: string | undefined, inCheckout: string, inBuiltin: string) => {
    if (given) return resolve(given);
    if (root) return join(root, inCheckout);
    if (builtin) return `${BUILTIN_ROOT}/${inBuiltin}`;
    throw new UsageError(
      "this tscodex carries no conformance fixtures and does not run from a checkout; " +
        "pass --fixtures DIR (a checkout's fixtures/ folder)",
    );
  };
  return {
    fixturesDir: pick(fixtures, "fixtures", "fixtures"),
    scenariosDir: pick(scenarios, join("conformance", "scenarios"), "scenarios"),
  };
}

async function checkUpstream(fixturesDir: string, upstream: string): Promise<void> {
  const versions = await fixtureVersions(fixturesDir);
  if (versions.includes(upstream)) return;
  const where = fixturesDir.startsWith(BUILTIN_ROOT) ? "this binary" : fixturesDir;
  throw new UsageError(
    versions.length
      ? `--upstream ${upstream}: no fixtures for that release in ${where} (have: ${
        versions.join(", ")
      })`
      : `no fixtures in ${where}: expected ${join(fixturesDir, "upstream", "<version>")}/; ` +
        `pass --fixtures DIR`,
  );
}

async function emit(text: string, out?: string): Promise<void> {
  if (!out) {
    // Into a pipe a large report is written asynchronously; the process must not exit before it
    // is handed over.
    await new Promise<void>((resolve) => process.stdout.write(text, () => resolve()));
    return;
  }
  try {
    await writeFile(out, text);
  } catch (err) {
    throw new UsageError(`--out ${out}: cannot write the report (${(err as Error).message})`);
  }
}

const log = (line: string) => process.stderr.write(`${line}\n`);

/** One line per request; on a terminal it is rewritten in place. */
function progressLine(): (done: number, total: number, id: string, failed: string[]) => void {
  const tty = process.stderr.isTTY;
  const width = (n: number) => String(n).length;
  return (done, total, id, failed) => {
    const verdict = failed.length ? `✗ ${failed.join(", ")}` : "✓";
    const line = `[${String(done).padStart(width(total))}/${total}] ${id} ${verdict}`;
    if (!tty) process.stderr.write(`${line}\n`);
    else {
      const cut = line.slice(0, (process.stderr.columns || 100) - 1);
      process.stderr.write(`\r\x1b[K${cut}${done === total ? "\n" : ""}`);
    }
  };
}

function apiKeyFrom(variable?: string): string | undefined {
  if (!variable) return undefined;
  const value = process.env[variable];
  if (!value) throw new UsageError(`--api-key-env ${variable}: that variable is not set`);
  return value;
}

/**
 * Fails with one line when nothing answers at `baseUrl`: any HTTP answer will do, and so does a
 * server that takes the connection but is slow to answer (the requests themselves will tell).
 */
async function assertReachable(baseUrl: string): Promise<void> {
  try {
    const response = await fetch(`${baseUrl}/models`, { signal: AbortSignal.timeout(10_000) });
    await response.body?.cancel();
  } catch (err) {
    if ((err as Error).name === "TimeoutError") return;
    const cause = (err as { cause?: Error }).cause?.message ?? (err as Error).message;
    throw new UsageError(
      `--base-url ${baseUrl}: nothing answers there (${cause}); is the provider running?`,
    );
  }
}

export async function runProviderCommand(options: ProviderOptions): Promise<number> {
  const apiKey = apiKeyFrom(options.apiKeyEnv);
  const { fixturesDir } = await sources(options.fixtures);
  await checkUpstream(fixturesDir, options.upstream);
  await assertReachable(options.baseUrl);
  let target = options.baseUrl;
  let close = () => Promise.resolve();
  if (options.api !== "responses") {
    const pair = await startServeInFront(options.baseUrl, options.api, apiKey, options.chatProfile);
    log(`tscodex serve on ${pair.url} in front of the ${options.api} backend ${options.baseUrl}`);
    target = pair.url;
    close = pair.close;
  }
  let card: ProviderCard;
  const progress = progressLine();
  try {
    card = await gradeProvider({
      baseUrl: target,
      label: options.baseUrl,
      api: options.api,
      // Through serve, the key was the backend's; serve itself asks for none.
      apiKey: options.api === "responses" ? apiKey : undefined,
      model: options.model,
      fixturesDir,
      upstream: options.upstream,
      only: options.scenario,
      parallel: options.parallel,
      timeoutMs: options.timeout * 1000,
      progress: (done, total, result) =>
        progress(done, total, result.id, result.checks.filter((c) => !c.ok).map((c) => c.name)),
    });
  } catch (err) {
    // Bad input (an unknown scenario, an unreadable fixture) is reported, not thrown as a trace.
    throw new UsageError((err as Error).message);
  } finally {
    await close();
  }
  const render = { md: renderProviderMarkdown, json: renderProviderJson, html: renderProviderHtml };
  await emit(render[options.report](card), options.out);
  const failing = card.results.filter((r) => !passedAll(r)).length;
  log(`${card.results.length - failing} of ${card.results.length} requests pass every check`);
  return failing ? EXIT_FAILED : EXIT_OK;
}

export async function runConformanceCommand(options: ConformanceOptions): Promise<number> {
  if (options.gradeProvider) {
    return runProviderCommand({
      baseUrl: options.gradeProvider,
      api: "responses",
      apiKeyEnv: options.apiKeyEnv,
      model: options.model,
      upstream: options.upstream,
      fixtures: options.fixtures,
      scenario: options.scenario,
      report: options.report,
      out: options.out,
      parallel: 1,
      timeout: 300,
    });
  }
  const { fixturesDir, scenariosDir } = await sources(options.fixtures, options.scenarios);
  await checkUpstream(fixturesDir, options.upstream);
  let report;
  try {
    report = await runConformance({
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
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  await emit(options.report === "json" ? renderJson(report) : renderMarkdown(report), options.out);
  if (!options.baseline) return report.results.every(passed) ? EXIT_OK : EXIT_FAILED;
  let baseline;
  try {
    baseline = await readBaseline(options.baseline);
  } catch (err) {
    throw new UsageError(`--baseline ${options.baseline}: ${(err as Error).message}`);
  }
  const { regressions, fixed } = compareWithBaseline(report, baseline);
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

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a whole number ≥ 1");
  return n;
}

/** Adds the `conformance` subcommand; `setExit` receives its exit code. */
export function registerConformance(program: Command, setExit: (code: number) => void): void {
  const conformance = program.command("conformance")
    .enablePositionalOptions()
    .description(
      "diff tscodex against recorded upstream Codex runs, or grade a Responses provider",
    )
    .option(
      "--upstream <version>",
      "upstream release to compare with (see fixtures/upstream/)",
      PRIMARY_UPSTREAM,
    )
    .option("--scenario <name>", "only this scenario (repeatable)", collect, [])
    .addOption(
      new Option("--report <format>", "report format").choices(["md", "json"]).default("md"),
    )
    .option("--out <file>", "write the report here instead of stdout")
    .option("--binary <path>", "the tscodex binary to test (default: this tscodex)")
    .option("--fixtures <dir>", "fixtures folder (default: the checkout's, else the built-in ones)")
    .option(
      "--scenarios <dir>",
      "scenario folder (default: the checkout's, else the built-in ones)",
    )
    .option("--save <dir>", "also write our normalised runs here, laid out like the fixtures")
    .option("--keep", "keep each run's temporary CODEX_HOME and work dir")
    .option(
      "--baseline <file>",
      "a saved --report json: exit 1 only on differences it does not list",
    )
    .addOption(
      new Option("--grade-provider <base_url>", "same as `conformance provider --base-url`")
        .argParser(parseUrl).hideHelp(),
    )
    .option("--api-key-env <var>", "with --grade-provider: send $VAR as the bearer token")
    .option("--model <model>", "with --grade-provider: the model to ask for")
    .action(async (opts: ConformanceOptions) => {
      setExit(await runConformanceCommand(opts));
    });
  conformance.command("provider")
    .description(
      "grade a Responses provider with the recorded Codex requests and a generic " +
        "specification set",
    )
    .requiredOption(
      "--base-url <url>",
      "the provider's base URL, e.g. http://127.0.0.1:8080/v1",
      parseUrl,
    )
    .addOption(
      new Option(
        "--api <api>",
        "the wire the URL speaks; chat and messages are graded through tscodex serve",
      ).choices(["responses", "chat", "messages"]).default("responses"),
    )
    .addOption(
      new Option(
        "--chat-profile <name>",
        "with --api chat: the backend's dialect, as serve --provider",
      )
        .choices(Object.keys(CHAT_PROFILES)).default(DEFAULT_CHAT_PROFILE),
    )
    .option("--api-key-env <var>", "send $VAR as the bearer token (to the backend with --api)")
    .option("--model <model>", "the model to ask for (default: the recorded one)")
    .option("--upstream <version>", "whose recorded requests to send", PRIMARY_UPSTREAM)
    .option("--fixtures <dir>", "fixtures folder (default: the checkout's, else the built-in ones)")
    .option("--scenario <name>", "only this recorded scenario's requests (repeatable)", collect, [])
    .addOption(
      new Option("--report <format>", "report format").choices(["md", "json", "html"]).default(
        "md",
      ),
    )
    .option("--out <file>", "write the report here instead of stdout")
    .option("--parallel <n>", "conversations sent at once", positive, 1)
    .option("--timeout <seconds>", "give up on one request after this long", positive, 300)
    .action(async (opts: ProviderOptions) => {
      setExit(await runProviderCommand(opts));
    });
}
