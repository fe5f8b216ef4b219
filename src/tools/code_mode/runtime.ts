// The code cell runtime: the process one `exec` cell runs in. It reads the init message on stdin,
// runs the script as an async function with the cell globals (`tools`, `text`, `image`, `store`,
// `load`, `yield_control`, `ALL_TOOLS`), forwards `tools.<name>(args)` calls to the agent and
// writes everything as NDJSON on stdout (see protocol.ts). It imports nothing but `node:` modules
// so it starts fast under a runtime given no permissions at all (Deno), or as a hidden
// subcommand of the compiled binary. Isolation is the process: the agent can always kill it.
import process from "node:process";
import type { CellMessage, HostMessage } from "./protocol.ts";

/** node:readline loads when a cell runs, not with the rest of the program. */
const readline = () => process.getBuiltinModule("node:readline");

type Init = Extract<HostMessage, { type: "init" }>;

const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor as new (
  ...args: string[]
) => (...values: unknown[]) => Promise<unknown>;

/**
 * Globals the script sees as undefined: the runtime's own APIs (which would reach the files, the
 * network and this process's stdout) and the timers, which upstream's isolate does not have.
 */
const HIDDEN = [
  "Deno",
  "Bun",
  "process",
  "require",
  "module",
  "fetch",
  "WebSocket",
  "XMLHttpRequest",
  "EventSource",
  "setTimeout",
  "setInterval",
  "setImmediate",
  "clearTimeout",
  "clearInterval",
  "clearImmediate",
];

function send(message: CellMessage, then?: () => void): void {
  process.stdout.write(JSON.stringify(message) + "\n", then);
}

/** What `text()` appends: strings as they are, anything else as JSON when it has a JSON form. */
function render(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === undefined) return "undefined";
  try {
    const json = JSON.stringify(value);
    if (json !== undefined) return json;
  } catch {
    // Circular structures and BigInts have no JSON form.
  }
  return String(value);
}

/**
 * Lines the engine puts before the script's first line: the async function's header (two) and
 * the "use strict" directive (one).
 */
const PRELUDE_LINES = 3;

/**
 * The error and where in the script it happened, as `at cell:LINE:COLUMN` frames; frames inside
 * this runtime would only show its own paths.
 */
function describeError(err: unknown): string {
  if (!(err instanceof Error)) return `Uncaught ${render(err)}`;
  const frames = (err.stack ?? "").split("\n").flatMap((line) => {
    const at = /<anonymous>:(\d+):(\d+)\)?$/.exec(line);
    return at ? [`    at cell:${Number(at[1]) - PRELUDE_LINES}:${at[2]}`] : [];
  });
  return [`${err.name}: ${err.message}`, ...frames].join("\n");
}

/** A tool name as a property a script can write without quotes. */
function jsName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9_$]/g, "_");
  return /^[0-9]/.test(cleaned) ? `_${cleaned}` : cleaned;
}

function copy<T>(value: T): T {
  return value === undefined ? value : JSON.parse(JSON.stringify(value));
}

function cellGlobals(init: Init, call: (name: string, args: unknown) => Promise<unknown>) {
  const stored = new Map(Object.entries(init.stored));
  const text = (value: unknown) => {
    const rendered = render(value);
    send({ type: "text", text: rendered });
    return rendered;
  };
  const tools: Record<string, (args?: unknown) => Promise<unknown>> = {};
  for (const tool of init.tools) tools[jsName(tool.name)] = (args) => call(tool.name, args ?? {});
  const log = (...values: unknown[]) => void text(values.map(render).join(" "));
  return {
    tools: Object.freeze(tools),
    text,
    image(imageUrl: unknown) {
      if (typeof imageUrl !== "string") throw new TypeError("image() expects a URL string");
      send({ type: "image", image_url: imageUrl });
      return { type: "input_image", image_url: imageUrl };
    },
    store(key: unknown, value: unknown) {
      if (typeof key !== "string") throw new TypeError("store() expects a string key");
      const json = JSON.stringify(value);
      const saved = json === undefined ? undefined : JSON.parse(json);
      stored.set(key, saved);
      send({ type: "store", key, value: saved });
    },
    load: (key: unknown) => copy(stored.get(String(key))),
    yield_control: () => send({ type: "yield" }),
    ALL_TOOLS: Object.freeze(init.tools.map((t) => Object.freeze({ ...t }))),
    // Scripts written for Node print with console; what they print becomes output like text().
    console: Object.freeze({ log, info: log, warn: log, error: log, debug: log }),
  };
}

/** Runs one cell, speaking the protocol on stdin/stdout, then ends the process. */
export function runCodeCell(): Promise<void> {
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let nextCall = 0;
  const call = (name: string, args: unknown) =>
    new Promise<unknown>((resolve, reject) => {
      const id = ++nextCall;
      pending.set(id, { resolve, reject });
      send({ type: "tool_call", id, name, args });
    });
  const finish = (error: string | null) => send({ type: "done", error }, () => process.exit(0));

  const start = (init: Init) => {
    const globals = cellGlobals(init, call);
    const names = [...Object.keys(globals), ...HIDDEN];
    const values = [...Object.values(globals), ...HIDDEN.map(() => undefined)];
    let script: (...values: unknown[]) => Promise<unknown>;
    try {
      script = new AsyncFunction(...names, `"use strict";\n${init.source}`);
    } catch (err) {
      return finish(describeError(err));
    }
    script(...values).then(() => finish(null), (err) => finish(describeError(err)));
  };

  return new Promise<void>((resolve) => {
    const lines = readline().createInterface({ input: process.stdin, crlfDelay: Infinity });
    let started = false;
    lines.on("line", (line) => {
      if (!line.trim()) return;
      const message = JSON.parse(line) as HostMessage;
      if (message.type === "init" && !started) {
        started = true;
        start(message);
      } else if (message.type === "tool_result") {
        const waiter = pending.get(message.id);
        pending.delete(message.id);
        if (message.ok) waiter?.resolve(message.result);
        else waiter?.reject(new Error(message.error));
      }
    });
    // The agent went away: nobody is left to read the output.
    lines.on("close", () => {
      resolve();
      process.exit(0);
    });
  });
}

if (import.meta.main) await runCodeCell();
