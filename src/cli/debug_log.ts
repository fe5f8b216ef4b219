// TSCODEX_DEBUG_LOG=DIR: what a bug report needs, kept in DIR beside the user's work.
//   phase.log         one line per step begun, done or failed (setup steps, turns, requests,
//                     tool calls, compactions), with the time since start and each step's length
//   tool_errors.jsonl one JSON line per tool call that failed inside tscodex (a thrown error with
//                     its stack, arguments the tool could not take, a tool that does not exist,
//                     an MCP call that failed)
//   fatal_error.txt   the full error (stack and causes) of every run that ended in a failure
// Several processes may share DIR (sub-agents, scripts): each line names its process id. Nothing
// here holds a credential: error messages are redacted where they are made, and no environment
// or configuration value is written.
import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import type { AgentEvent } from "../agent/mod.ts";
import { ioCause } from "../platform/mod.ts";
import { VERSION } from "./version.ts";

export const DEBUG_LOG_VARIABLE = "TSCODEX_DEBUG_LOG";

type Write = (file: string, text: string) => void;

export class DebugLog {
  readonly #started = performance.now();
  #broken = false;
  #command = "";
  /** Phases begun and not yet ended, with their start times. */
  readonly #open = new Map<string, number>();
  /** The request each thread is waiting for. */
  readonly #requests = new Map<string, number>();

  constructor(readonly dir: string, private readonly warn: (text: string) => void) {}

  /** Runs `step`, noting its start and its end (or failure) in phase.log. */
  async phase<T>(name: string, step: () => T | Promise<T>): Promise<T> {
    this.#begin(name);
    try {
      const value = await step();
      this.#end(name);
      return value;
    } catch (err) {
      this.#end(name, oneLine(err));
      throw err;
    }
  }

  /** One phase.log line. */
  mark(what: "start" | "done" | "failed" | "note", text: string): void {
    const since = Math.round(performance.now() - this.#started);
    this.#append(
      "phase.log",
      `${new Date().toISOString()} pid ${process.pid} +${since}ms ${what.padEnd(6)} ${text}\n`,
    );
  }

  /** Notes the run's start; `command` (the subcommand) also heads its fatal errors. */
  begin(command: string): void {
    this.#command = command;
    this.mark("start", `tscodex ${VERSION} ${command}`);
  }

  /** The full story of a failure that ends the run. */
  fatal(err: unknown): void {
    const header = `=== ${new Date().toISOString()} pid ${process.pid} tscodex ${VERSION} ` +
      this.#command;
    this.#append("fatal_error.txt", `${header}\n${fullStory(err)}\n\n`);
  }

  /** Turns, requests and tool calls as phases; tool failures as tool_errors.jsonl lines. */
  onAgentEvent(event: AgentEvent, thread = "main"): void {
    const turn = "turnId" in event ? event.turnId : undefined;
    switch (event.type) {
      case "turn_started":
        return this.#begin(`${thread} turn ${turn}`);
      case "turn_completed":
        return this.#end(`${thread} turn ${turn}`);
      case "turn_failed":
        return this.#end(`${thread} turn ${turn}`, oneLine(event.error));
      case "turn_interrupted":
        return this.#end(`${thread} turn ${turn}`, "interrupted");
      case "model_called":
        this.#requests.set(thread, event.iteration);
        return this.#begin(`${thread} request ${event.iteration}`);
      case "stream_opened":
        return this.mark("note", `${thread} response stream opened`);
      case "reconnecting":
        return this.mark(
          "note",
          `${thread} reconnecting ${event.attempt}/${event.maxRetries}: ${event.error}`,
        );
      case "token_count":
        return this.#end(
          `${thread} request ${this.#requests.get(thread) ?? "?"}`,
          undefined,
          `${event.usage.total_tokens} tokens`,
        );
      case "tool_started":
        return this.#begin(`${thread} tool ${event.call.name} ${event.call.call_id}`);
      case "tool_completed":
        return this.#end(`${thread} tool ${event.call.name} ${event.call.call_id}`);
      case "compaction_started":
        return this.#begin(`${thread} compaction (${event.reason})`);
      case "compaction_completed":
      case "compaction_failed": {
        const name = [...this.#open.keys()].find((key) => key.startsWith(`${thread} compaction`)) ??
          `${thread} compaction`;
        return this.#end(
          name,
          event.type === "compaction_failed" ? oneLine(event.error) : undefined,
        );
      }
      // The stream's details and the history are in the rollout, not the phases.
      case "history_appended":
      case "item_started":
      case "text_delta":
      case "reasoning_delta":
      case "item_completed":
      case "steer_inserted":
        return;
      case "tool_event": {
        const tool = event.event;
        if (tool.type === "tool_failed") {
          return this.#toolError({
            thread,
            turn,
            call_id: tool.callId,
            tool: event.call.name,
            reason: tool.reason,
            message: tool.message,
            ...(tool.stack ? { stack: tool.stack } : {}),
          });
        }
        if (tool.type === "mcp_call" && tool.outcome?.error) {
          return this.#toolError({
            thread,
            turn,
            call_id: tool.callId,
            tool: `${tool.server}/${tool.tool}`,
            reason: "mcp",
            message: tool.outcome.error,
          });
        }
        return;
      }
      default:
        event satisfies never;
    }
  }

  #begin(name: string): void {
    this.#open.set(name, performance.now());
    this.mark("start", name);
  }

  /** Ends a phase begun with #begin: done, or failed with `failure`; with its length. */
  #end(name: string, failure?: string, detail?: string): void {
    const began = this.#open.get(name);
    this.#open.delete(name);
    const facts = [began === undefined ? "" : `${Math.round(performance.now() - began)} ms`, detail]
      .filter(Boolean).join(", ");
    const text = `${name}${facts ? ` (${facts})` : ""}`;
    if (failure === undefined) this.mark("done", text);
    else this.mark("failed", `${text}: ${failure}`);
  }

  #toolError(fields: Record<string, unknown>): void {
    const line = { timestamp: new Date().toISOString(), pid: process.pid, ...fields };
    this.#append("tool_errors.jsonl", JSON.stringify(line) + "\n");
  }

  /** Appends synchronously (a crash right after must not lose the line); warns once on failure. */
  #append: Write = (file, text) => {
    if (this.#broken) return;
    try {
      mkdirSync(this.dir, { recursive: true });
      appendFileSync(join(this.dir, file), text);
    } catch (err) {
      this.#broken = true;
      this.warn(
        `tscodex: warning: cannot write the debug log in ${this.dir} (${DEBUG_LOG_VARIABLE}): ` +
          `${ioCause(err)}; it is off for this run`,
      );
    }
  };
}

function oneLine(err: unknown): string {
  return String((err as Error)?.message ?? err).replace(/\s*\n\s*/g, " ");
}

/** The stack of an error and of each of its causes. */
function fullStory(err: unknown): string {
  const parts: string[] = [];
  for (let e = err, depth = 0; e !== undefined && depth < 5; depth++) {
    parts.push(e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e));
    e = (e as { cause?: unknown })?.cause;
    if (e !== undefined) parts.push("caused by:");
  }
  return parts.join("\n");
}

let current: DebugLog | null | undefined;

/** The run's debug log when TSCODEX_DEBUG_LOG names a folder; made on first use. */
export function debugLog(): DebugLog | undefined {
  if (current === undefined) {
    const dir = process.env[DEBUG_LOG_VARIABLE]?.trim();
    current = dir ? new DebugLog(dir, (text) => process.stderr.write(text + "\n")) : null;
  }
  return current ?? undefined;
}

/** Runs `step` as a phase of the debug log, or just runs it when there is none. */
export function phase<T>(name: string, step: () => T | Promise<T>): Promise<T> {
  const log = debugLog();
  return log ? log.phase(name, step) : Promise.resolve().then(step);
}
