// A server started as a process for the tests: it prints its base URL as the first line of
// stdout (as `tscodex serve` and `tscodex fake-server` do), and is stopped with SIGTERM.
import { spawn } from "node:child_process";
import process from "node:process";
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
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  let stderr = "";
  // A server that ends badly on SIGTERM (the fake server when a request broke the rules) fails
  // the test with what it said.
  const stop = async () => {
    // Not child.kill(): under Deno that reports any child it signalled as killed (code null),
    // whatever status the child exited with.
    try {
      process.kill(child.pid!, "SIGTERM");
    } catch {
      // It has exited already; its status says how.
    }
    const code = await within(exited, `${command.join(" ")} to stop`);
    if (code !== 0) throw new Error(`${command.join(" ")} exited ${code} when stopped\n${stderr}`);
  };
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop().catch(() => {}).then(() =>
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
