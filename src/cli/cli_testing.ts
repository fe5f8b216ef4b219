// Test support for the CLI as users run it: `main.ts` in a real Deno subprocess.
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const DENO = join(ROOT, "node_modules", ".bin", "deno");

/** The command line that runs `tscodex` from source, for tests that drive the process themselves. */
export const CLI: readonly string[] = [DENO, "run", "-A", join(ROOT, "main.ts")];

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `tscodex ARGS` in `cwd` with only `env` (and a minimal PATH unless it sets one). */
export function runCli(
  args: string[],
  options: { cwd: string; env: Record<string, string>; stdin?: string },
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(CLI[0], [...CLI.slice(1), ...args], {
      cwd: options.cwd,
      env: { PATH: "/usr/bin:/bin", ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? "");
  });
}
