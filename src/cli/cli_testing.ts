// Test support for the CLI as users run it: `main.ts` in a real Deno subprocess.
import { spawn } from "node:child_process";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { FakeResponsesServer, parseScenario, type ScenarioInput } from "../fake/mod.ts";
import { DEADLINE_MS, tempDir } from "../testing/mod.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const DENO = join(ROOT, "node_modules", ".bin", "deno");

/** The command line that runs `tscodex` from source, for tests that drive the process themselves. */
export const CLI: readonly string[] = [DENO, "run", "-A", join(ROOT, "main.ts")];

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `tscodex ARGS` in `cwd` with only `env` (and a minimal PATH unless it sets one). A run
 * still going at the deadline is killed and fails the test with what it printed so far. With
 * `stdoutFd`, standard output goes to that open file instead of `stdout`.
 */
export function runCli(
  args: string[],
  options: { cwd: string; env: Record<string, string>; stdin?: string; stdoutFd?: number },
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(CLI[0], [...CLI.slice(1), ...args], {
      cwd: options.cwd,
      env: { PATH: "/usr/bin:/bin", ...options.env },
      stdio: ["pipe", options.stdoutFd ?? "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    const deadline = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(
          `tscodex ${args.join(" ")} had not exited after ${DEADLINE_MS} ms; ` +
            `stdout:\n${stdout}\nstderr:\n${stderr}`,
        ),
      );
    }, DEADLINE_MS);
    child.stdout?.on("data", (c) => (stdout += c));
    child.stderr!.on("data", (c) => (stderr += c));
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(deadline);
      resolve({ code, stdout, stderr });
    });
    child.stdin!.end(options.stdin ?? "");
  });
}

export interface ScriptedProvider {
  /** A git work dir (a `.git` folder is enough for exec's check). */
  work: string;
  /** CODEX_HOME, where config.toml is. */
  home: string;
  server: FakeResponsesServer;
  /** HOME (the work dir) and CODEX_HOME. */
  env: Record<string, string>;
}

export interface ScriptedProviderOptions {
  prefix?: string;
  /** Opens config.toml (e.g. a model). */
  head?: string;
  /** Ends the provider's table (e.g. retries). */
  provider?: string;
  /** Makes CODEX_HOME and runs `use` with it (a tmpfs, say); the work dir by default. */
  home?: (use: (home: string) => Promise<void>) => Promise<void>;
}

/**
 * Runs `fn` in a git work dir with a config.toml whose `local` provider is a fake server scripted
 * with `scenario` (a function of CODEX_HOME when the script names a path in it). The server and
 * the work dir are gone afterwards.
 */
export async function withScriptedProvider(
  scenario: ScenarioInput | ((home: string) => ScenarioInput),
  fn: (t: ScriptedProvider) => Promise<void>,
  options: ScriptedProviderOptions = {},
): Promise<void> {
  const work = await tempDir(options.prefix ?? "tscodex-cli-");
  await mkdir(join(work, ".git"));
  const withHome = options.home ?? ((use) => use(work));
  try {
    await withHome(async (home) => {
      const script = typeof scenario === "function" ? scenario(home) : scenario;
      const server = new FakeResponsesServer(parseScenario(script));
      await server.start();
      try {
        await writeFile(
          join(home, "config.toml"),
          `${options.head ?? ""}model_provider = "local"\n[model_providers.local]\n` +
            `name = "local"\nbase_url = "${server.baseUrl}"\n${options.provider ?? ""}`,
        );
        await fn({ work, home, server, env: { HOME: work, CODEX_HOME: home } });
      } finally {
        await server.close();
      }
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
