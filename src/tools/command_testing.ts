// Test support for the command tools: calls through the real registry with a temp dir as turn
// directory, and the sandbox probe that skips the tests needing bubblewrap.
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import process from "node:process";
import { skipWhen } from "../testing/mod.ts";
import { ProcessManager } from "./processes.ts";
import { type ToolContext, type ToolDef, ToolRegistry } from "./registry.ts";
import { sandboxSupport } from "./sandbox.ts";

export interface CallOptions {
  cwd: string;
  signal?: AbortSignal;
  sandbox?: ToolContext["sandbox"];
  approvals?: ToolContext["approvals"];
}

/** Runs one function call through a registry of `tools` and returns the output text. */
export async function callTool(
  tools: ToolDef[],
  name: string,
  args: Record<string, unknown>,
  options: CallOptions,
): Promise<string> {
  const registry = new ToolRegistry(tools);
  const item = await registry.run(
    { type: "function_call", call_id: "call_test", name, arguments: JSON.stringify(args) },
    {
      cwd: options.cwd,
      callId: "call_test",
      signal: options.signal ?? new AbortController().signal,
      sandbox: options.sandbox,
      approvals: options.approvals,
    },
  );
  if (typeof item.output !== "string") throw new Error(`${name} returned content items`);
  return item.output;
}

export interface Bench {
  dir: string;
  processes: ProcessManager;
  call(name: string, args: Record<string, unknown>, signal?: AbortSignal): Promise<string>;
}

/**
 * Runs `fn` with the tools `makeTools` builds, a temp dir as turn directory and as HOME (so no
 * profile of the machine's user leaks into login shells), and every process killed afterwards.
 */
export async function withCommandBench(
  makeTools: (processes: ProcessManager) => ToolDef[],
  fn: (bench: Bench) => Promise<void>,
): Promise<void> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "tscodex-commands-" }));
  const processes = new ProcessManager({ env: { HOME: dir } });
  const tools = makeTools(processes);
  try {
    await fn({
      dir,
      processes,
      call: (name, args, signal) => callTool(tools, name, args, { cwd: dir, signal }),
    });
  } finally {
    processes.killAll();
    await Deno.remove(dir, { recursive: true });
  }
}

/** The session id of a `Process running with session ID N` reply. */
export function sessionIdOf(output: string): number {
  const match = /Process running with session ID (\d+)/.exec(output);
  if (!match) throw new Error(`no session id in:\n${output}`);
  return Number(match[1]);
}

/**
 * True (after saying why) when bubblewrap cannot run sandboxes here, so the tests that need it
 * are skipped with a reason rather than failed; `ignore: sandboxMissing("…")` in Deno.test.
 * Installing bubblewrap is something CI can do; a kernel that refuses user namespaces is not.
 */
export function sandboxMissing(what: string): boolean {
  const support = sandboxSupport();
  if (support.ok) return false;
  return skipWhen(what, support.problem, !onPath("bwrap"));
}

function onPath(program: string): boolean {
  return (process.env.PATH ?? "").split(delimiter).some((dir) => existsSync(join(dir, program)));
}
