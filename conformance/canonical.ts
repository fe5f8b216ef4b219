// The canonical view of a normalised recording: the fields the suite compares, grouped by
// category. Our prose is meant to differ from upstream's, so prose digests are masked here; every
// other value is compared as recorded.
import { maskProse } from "./normalise.ts";
import type { Recording, RequestRecord } from "./recording.ts";

export const CATEGORIES = [
  "exit",
  "stdout",
  "requests",
  "body",
  "input",
  "tools",
  "outputs",
  "headers",
  "json",
  "rollout",
  "files",
] as const;
export type Category = typeof CATEGORIES[number];

/** category → field path → value. */
export type CanonicalView = Record<Category, Record<string, unknown>>;

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Masks prose digests everywhere inside a value. */
function masked(value: unknown): unknown {
  if (typeof value === "string") return maskProse(value);
  if (Array.isArray(value)) return value.map(masked);
  if (isRecord(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, masked(v)]));
  }
  return value;
}

function body(request: RequestRecord): Json {
  return isRecord(request.body) ? request.body : {};
}

function inputOf(request: RequestRecord): Json[] {
  const input = body(request).input;
  return Array.isArray(input) ? input.filter(isRecord) : [];
}

/** `message/user`, `function_call/exec_command`, `function_call_output`, … */
export function itemKind(item: Json): string {
  const type = String(item.type ?? "?");
  if (type === "message") return `message/${item.role ?? "?"}`;
  if (typeof item.name === "string" && /_call$/.test(type)) return `${type}/${item.name}`;
  return type;
}

function toolKey(tool: Json): string {
  return typeof tool.name === "string" ? tool.name : String(tool.type);
}

/** The framing lines of a tool output (everything before `Output:`) and the text after it. */
export function splitOutput(output: unknown): { shape: string; framing: string[]; body: unknown } {
  if (typeof output !== "string") {
    return {
      shape: Array.isArray(output) ? "content-items" : typeof output,
      framing: [],
      body: output,
    };
  }
  const lines = output.split("\n");
  const at = lines.indexOf("Output:");
  if (at < 0) return { shape: "text", framing: [], body: output };
  return {
    shape: "framed-text",
    framing: lines.slice(0, at + 1),
    body: lines.slice(at + 1).join("\n"),
  };
}

/** `event_msg/token_count`, `response_item/message:user`, `session_meta`, … */
export function rolloutKind(line: unknown): string {
  if (!isRecord(line)) return "(not json)";
  const payload = isRecord(line.payload) ? line.payload : {};
  const type = String(line.type ?? "?");
  if (type !== "event_msg" && type !== "response_item") return type;
  const role = payload.type === "message" && payload.role ? `:${payload.role}` : "";
  return `${type}/${payload.type ?? "?"}${role}`;
}

function jsonEvents(stdout: string): unknown[] {
  return stdout.split("\n").filter((line) => line.trim()).map((line) => {
    try {
      return JSON.parse(line);
    } catch {
      return line;
    }
  });
}

/**
 * Headers the HTTP stack adds on its own (Deno's and Bun's fetch add `accept-encoding`,
 * `accept-language` and `connection`; upstream's client does not). They say nothing about Codex's
 * protocol, so neither side's are compared.
 */
const TRANSPORT_HEADERS = new Set([
  "host",
  "content-length",
  "connection",
  "accept-encoding",
  "accept-language",
]);

/**
 * The wording of error and retry notices is prose each program writes its own way; what is
 * compared is that the notice is there, where, and the retry counter of a `Reconnecting...` one.
 */
function maskNotice(message: unknown): unknown {
  if (typeof message !== "string") return message;
  const retry = /^Reconnecting\.\.\. \d+\/\d+/.exec(message);
  return retry ? `${retry[0]} (<message>)` : "<message>";
}

/** A file_change item's changes in path order: upstream lists them in hash-map order. */
function sortedChanges(item: unknown): unknown {
  if (!isRecord(item) || item.type !== "file_change" || !Array.isArray(item.changes)) return item;
  const path = (change: unknown) => isRecord(change) ? String(change.path) : "";
  return { ...item, changes: [...item.changes].sort((a, b) => path(a).localeCompare(path(b))) };
}

function maskedEvent(event: unknown): unknown {
  const value = masked(event);
  if (!isRecord(value)) return value;
  if (isRecord(value.item)) value.item = sortedChanges(value.item);
  // An error item is a notice in each program's own words, like the error events.
  if (isRecord(value.item) && value.item.type === "error") {
    value.item = { ...value.item, message: maskNotice(value.item.message) };
  }
  if (value.type === "error") return { ...value, message: maskNotice(value.message) };
  if (value.type === "turn.failed" && isRecord(value.error)) {
    return { ...value, error: { ...value.error, message: maskNotice(value.error.message) } };
  }
  return value;
}

function eventKind(event: unknown): string {
  if (!isRecord(event)) return "(not json)";
  const item = isRecord(event.item) ? `:${event.item.type}` : "";
  return `${event.type}${item}`;
}

export function canonicalise(recording: Recording): CanonicalView {
  const view = Object.fromEntries(CATEGORIES.map((c) => [c, {}])) as CanonicalView;
  const seenOutputs = new Set<string>();

  const calls: string[] = [];
  recording.runs.forEach((run, r) => {
    const R = `run${r + 1}`;
    const json = run.argv.includes("--json");
    view.exit[R] = run.exit_code;
    if (!json) view.stdout[R] = run.stdout;
    view.requests[`${R}.count`] = run.requests.length;
    view.requests[`${R}.endpoints`] = run.requests.map((q) => `${q.method} ${q.path}${q.query}`);

    run.requests.forEach((request, q) => {
      const Q = `${R}.req${q + 1}`;
      const b = body(request);
      view.body[`${Q}.keys`] = Object.keys(b);
      for (const [key, value] of Object.entries(b)) {
        if (key === "input" || key === "tools") continue;
        view.body[`${Q}.${key}`] = masked(value);
      }
      view.input[`${Q}.kinds`] = inputOf(request).map(itemKind);
      for (const item of inputOf(request)) {
        if (!String(item.type).endsWith("_call_output") || typeof item.call_id !== "string") {
          continue;
        }
        if (seenOutputs.has(item.call_id)) continue;
        seenOutputs.add(item.call_id);
        calls.push(item.call_id);
        const { shape, framing, body: text } = splitOutput(item.output);
        const O = `${item.call_id}`;
        view.outputs[`${O}.type`] = item.type;
        view.outputs[`${O}.shape`] = shape;
        view.outputs[`${O}.framing`] = framing;
        view.outputs[`${O}.body`] = text;
      }
    });

    const last = run.requests.at(-1);
    if (last) {
      inputOf(last).forEach((item, i) => {
        // Outputs are compared under `outputs`; here only where they sit and what they answer.
        const shown = "output" in item ? { ...item, output: "<see outputs>" } : item;
        view.input[`${R}.last.item${i + 1}`] = masked(shown);
      });
    }

    const first = run.requests[0];
    if (first) {
      const tools = Array.isArray(body(first).tools)
        ? (body(first).tools as unknown[]).filter(isRecord)
        : [];
      view.tools[`${R}.names`] = tools.map((t) => `${toolKey(t)}:${t.type}`);
      for (const tool of tools) view.tools[`${R}.${toolKey(tool)}`] = masked(tool);
      const signature = JSON.stringify(tools);
      view.tools[`${R}.same_in_every_request`] = run.requests.every((q) =>
        JSON.stringify(body(q).tools ?? []) === signature
      );

      const names = new Set<string>();
      for (const q of run.requests) {
        for (const name of Object.keys(q.headers)) {
          if (!TRANSPORT_HEADERS.has(name)) names.add(name);
        }
      }
      view.headers[`${R}.names`] = [...names].sort();
      for (const [name, value] of Object.entries(first.headers)) {
        if (TRANSPORT_HEADERS.has(name)) continue;
        if (name === "x-codex-turn-metadata") {
          try {
            view.headers[`${R}.${name}`] = JSON.parse(value);
            continue;
          } catch {
            // Not JSON: compared as text below.
          }
        }
        view.headers[`${R}.${name}`] = value;
      }
    }

    if (json) {
      const events = jsonEvents(run.stdout);
      view.json[`${R}.kinds`] = events.map(eventKind);
      events.forEach((event, i) => (view.json[`${R}.event${i + 1}`] = maskedEvent(event)));
    }
  });

  view.outputs.calls = calls;
  view.rollout.files = recording.rollouts.map((r) => r.name);
  const lines = recording.rollouts.flatMap((r) => r.lines);
  view.rollout.kinds = lines.map(rolloutKind);
  const keys = new Map<string, Set<string>>();
  for (const line of lines) {
    const kind = rolloutKind(line);
    const payload = isRecord(line) && isRecord(line.payload) ? line.payload : {};
    const set = keys.get(kind) ?? new Set<string>();
    for (const key of Object.keys(payload)) set.add(key);
    keys.set(kind, set);
  }
  for (const [kind, set] of keys) view.rollout[`keys.${kind}`] = [...set].sort();

  for (const [path, content] of Object.entries(recording.files)) view.files[path] = content;
  return view;
}
