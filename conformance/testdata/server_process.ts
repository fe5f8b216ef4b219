// A server started as a process for the tests: it prints its base URL as the first line of
// stdout (as `tscodex serve` and `tscodex fake-server` do), and is stopped with SIGTERM.
import { spawn } from "node:child_process";
import { within } from "../../src/testing/mod.ts";

/** Starts `command` and resolves with its first stdout line and a way to stop it. */
export function startServer(
  command: string[],
  options: { cwd: string; env: Record<string, string> },
): Promise<{ line: string; stop: () => Promise<void> }> {
  const child = spawn(command[0], command.slice(1), {
    ...options,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => child.on("close", () => resolve()));
  const stop = async () => {
    child.kill("SIGTERM");
    await within(exited, `${command.join(" ")} to stop`);
  };
  let stderr = "";
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop().then(() =>
        reject(new Error(`${command.join(" ")}: no address within 60 s\n${stderr}`))
      );
    }, 60_000);
    let out = "";
    child.stdout!.on("data", (c: Buffer) => {
      out += c.toString();
      const line = out.split("\n")[0];
      if (out.includes("\n")) {
        clearTimeout(timer);
        resolve({ line, stop });
      }
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      reject(
        new Error(`${command.join(" ")} exited ${code} before printing its address\n${stderr}`),
      );
    });
  });
}
