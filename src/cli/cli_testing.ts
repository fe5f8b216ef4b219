// Test support for the CLI as users run it: `main.ts` in a real Deno subprocess.
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEADLINE_MS } from "../testing/mod.ts";

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
