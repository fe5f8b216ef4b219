// A real redis-server for tests: a free loopback port, its own temporary folder, nothing saved to
// disk, started with a deadline and stopped (killed if it must be) by the test that started it.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { within } from "../testing/mod.ts";

export interface RunningRedis {
  url: string;
  /** Ends the server (SIGTERM, then SIGKILL) and removes its folder. */
  stop(): Promise<void>;
}

/** Whether redis-server is installed (.ci/run installs it; elsewhere its tests say they skip). */
export const redisInstalled = spawnSync("redis-server", ["--version"]).status === 0;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
}

async function launch(dir: string): Promise<{ child: ChildProcess; port: number } | string> {
  const port = await freePort();
  const child = spawn("redis-server", [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--dir",
    dir,
    "--save",
    "",
    "--appendonly",
    "no",
  ], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const ready = new Promise<boolean>((resolve) => {
    child.stdout!.on("data", (chunk) => {
      output += chunk;
      if (output.includes("Ready to accept connections")) resolve(true);
    });
    child.once("exit", () => resolve(false));
  });
  try {
    if (await within(ready, "redis-server starting")) return { child, port };
  } catch (err) {
    child.kill("SIGKILL");
    throw err;
  }
  return output; // it exited: most likely the port was taken in the meantime
}

export async function startRedis(): Promise<RunningRedis> {
  const dir = await mkdtemp(join(tmpdir(), "tscodex-redis-"));
  let started: { child: ChildProcess; port: number } | string = "";
  for (let attempt = 0; attempt < 3 && typeof started === "string"; attempt++) {
    started = await launch(dir);
  }
  if (typeof started === "string") {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`redis-server did not start:\n${started}`);
  }
  const { child, port } = started;
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      child.kill("SIGTERM");
      try {
        await within(exited(child), "redis-server stopping", 10_000);
      } catch {
        child.kill("SIGKILL");
        await exited(child);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
