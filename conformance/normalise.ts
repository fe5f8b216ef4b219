// Normalisation: makes a recording independent of when, where and by which build it was made.
// Volatile values become numbered placeholders (the same value gets the same placeholder across
// every file of one scenario), and built-in prose becomes a digest, so fixtures stay prose-free
// and two recordings of the same behaviour are byte-identical.
import { createHash } from "node:crypto";
import type { RawRecording, Recording, RequestRecord, Roots } from "./recording.ts";

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const SHA1 = /\b[0-9a-f]{40}\b/g;
const ISO_TIMESTAMP = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?/g;
const FILE_TIMESTAMP = /\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}/g;
const SESSION_DIR = /sessions\/\d{4}\/\d{2}\/\d{2}\//g;
const DATE = /\b\d{4}-\d{2}-\d{2}\b/g;
const LOOPBACK_PORT = /\b(127\.0\.0\.1|localhost|\[::1\]):\d+/g;
const CHUNK_ID = /Chunk ID: [0-9a-f]+/g;
const WALL_TIME = /Wall time: \d+(?:\.\d+)? seconds/g;
/** A patch applied through a command reports its duration inside the JSON text of its output. */
const DURATION_SECONDS_TEXT = /\\?"duration_seconds\\?":\d+(?:\.\d+)?/g;
const EXEC_SESSION = /\b(session ID |process id )(\d+)/gi;
/** Human durations as the plain-mode transcript prints them: `succeeded in 12ms:`. */
const HUMAN_DURATION = /\bin \d+(?:\.\d+)?(ms|s)\b/g;
/** An interrupted call's output says how long it had run: `aborted by user after 0.1s`. */
const ABORTED_AFTER = /\baborted by user after \d+(?:\.\d+)?s\b/g;
const VERSION = /\b\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)?\b/g;
/** A digest, raw or already replaced by its placeholder, is an id and never prose. */
const HASH_ONLY = /^([0-9a-f]{40,64}|<SHA1#\d+>)$/;

/** Keys whose uuid values name a session or a turn, so the placeholder says which. */
const SESSION_KEYS = new Set([
  "prompt_cache_key",
  "session_id",
  "session-id",
  "thread_id",
  "thread-id",
  "conversation_id",
]);
const TURN_KEYS = new Set(["turn_id", "root_turn_id", "parent_turn_id"]);
/** Clock readings and measured durations. */
const VOLATILE_NUMBER_KEY =
  /^(create_time|duration_ms|duration_seconds|t_ms)$|_at$|_at_ms$|_unix_ms$|^time_to_/;
/** Keys holding a unified-exec process id (random in upstream). */
const EXEC_KEYS = new Set(["process_id", "session_id"]);
/** Sub-agent nicknames: upstream picks one at random from a list of names. */
const NICKNAME_KEY = /(^|_)nickname$/;
/** Tools whose `message` argument becomes a sub-agent's user message: model-written, not prose. */
const DELEGATING_TOOLS = new Set(["spawn_agent", "send_input"]);
/** Keys whose string values are built-in prose wherever they appear. */
const PROSE_KEYS = new Set(["instructions", "developer_instructions", "base_instructions"]);

/**
 * User-role texts that are neither what the user typed (the argv of the runs) nor one of these
 * structured blocks are texts the program wrote itself (the compaction prompt, the summary
 * preamble): built-in prose.
 */
const USER_BLOCKS =
  /^(<environment_context>|# AGENTS\.md instructions|<user_instructions>|<subagent_notification>)/;

const PROSE_PLACEHOLDER = /<PROSE(\[[^\]]*\])? sha256:[0-9a-f]{64} len:\d+>/g;

/** `<PROSE[tag] sha256:… len:N>`: the digest of a normalised built-in text, tagged by its first XML tag. */
export function prosePlaceholder(text: string): string {
  const tag = /^<([A-Za-z_][\w -]*)>/.exec(text)?.[1];
  const sha = createHash("sha256").update(text).digest("hex");
  return `<PROSE${tag ? `[${tag}]` : ""} sha256:${sha} len:${[...text].length}>`;
}

/** Drops digest and length from prose placeholders: our prose is meant to differ from upstream's. */
export function maskProse(text: string): string {
  return text.replace(PROSE_PLACEHOLDER, (_, tag: string | undefined) => `<PROSE${tag ?? ""}>`);
}

interface Context {
  key?: string;
  parentKey?: string;
  /** Inside a `tools` array: descriptions and grammars are prose. */
  inTools: boolean;
  /** Inside the content of a developer/system message: its texts are prose. */
  proseText: boolean;
  /** Inside the content of a user message: long texts that are no known block are prose. */
  userText?: boolean;
}

const TOP: Context = { inTools: false, proseText: false };

function tryParseJsonContainer(text: string): unknown {
  if (!/^\s*[{[]/.test(text)) return undefined;
  try {
    const value = JSON.parse(text);
    return value !== null && typeof value === "object" ? value : undefined;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * Normalises one scenario's files with shared numbering. Pass 1 (`scan`) learns which uuids are
 * sessions and turns from the keys that hold them; pass 2 rewrites everything in a fixed order.
 */
export class Normaliser {
  readonly #labels = new Map<string, string>();
  readonly #uuids = new Map<string, string>();
  readonly #counters = new Map<string, number>();
  readonly #prose = new Set<string>();
  readonly #roots: Array<[string, string]>;

  readonly #typed: Set<string>;
  /** Raw `message` arguments of spawn_agent/send_input calls, learnt in pass 1. */
  readonly #delegated: string[] = [];

  /** `typed`: what the user wrote (prompts), never taken for prose. */
  constructor(roots: Roots, typed: string[] = []) {
    const named: Array<[string, string]> = [
      [roots.cwd, "<CWD>"],
      [roots.codexHome, "<CODEX_HOME>"],
      [roots.home, "<HOME>"],
      [roots.root, "<ROOT>"],
    ];
    // Longest first: the work dir sits inside the root.
    this.#roots = named.filter(([path]) => path.length > 1).sort((a, b) =>
      b[0].length - a[0].length
    );
    this.#typed = new Set(typed.map((text) => this.text(text)));
  }

  #label(kind: string, raw: string): string {
    const id = `${kind}:${raw.toLowerCase()}`;
    const known = this.#labels.get(id);
    if (known) return known;
    const n = (this.#counters.get(kind) ?? 0) + 1;
    this.#counters.set(kind, n);
    const label = `<${kind}#${n}>`;
    this.#labels.set(id, label);
    return label;
  }

  /** A uuid's placeholder: its session/turn label when pass 1 found one, else a plain number. */
  #uuid(raw: string, kind = "UUID"): string {
    const known = this.#uuids.get(raw.toLowerCase());
    if (known) return known;
    const label = this.#label(kind, raw);
    this.#uuids.set(raw.toLowerCase(), label);
    return label;
  }

  #learn(kind: string, text: string): void {
    for (const [raw] of text.matchAll(UUID)) this.#uuid(raw, kind);
  }

  /** Pass 1 over any JSON value (embedded JSON strings included). */
  scan(value: unknown, key?: string): void {
    if (typeof value === "string") {
      if (key && SESSION_KEYS.has(key)) this.#learn("SESSION", value);
      else if (key && TURN_KEYS.has(key)) this.#learn("TURN", value);
      const inner = tryParseJsonContainer(value);
      if (inner !== undefined) this.scan(inner);
    } else if (Array.isArray(value)) {
      for (const item of value) this.scan(item, key);
    } else if (isRecord(value)) {
      if (
        value.type === "function_call" && DELEGATING_TOOLS.has(String(value.name)) &&
        typeof value.arguments === "string"
      ) {
        const message = (tryParseJsonContainer(value.arguments) as { message?: unknown })?.message;
        if (typeof message === "string") this.#delegated.push(message);
      }
      if (value.type === "session_meta" && isRecord(value.payload)) {
        const id = value.payload.id;
        if (typeof id === "string") this.#learn("SESSION", id);
      }
      const entries = Object.entries(value);
      // As in pass 2: a hash map's key order must not decide which id gets which number.
      if (key === "client_metadata") entries.sort(([a], [b]) => a.localeCompare(b));
      for (const [k, v] of entries) this.scan(v, k);
    }
  }

  /** Pass 2 for free text: paths, clocks, ids, ports and measured times. */
  text(input: string): string {
    let out = input;
    for (const [path, name] of this.#roots) out = out.split(path).join(name);
    out = out.replace(UUID, (raw) => this.#uuid(raw))
      .replace(ISO_TIMESTAMP, "<TS>")
      .replace(FILE_TIMESTAMP, "<TS>")
      .replace(SESSION_DIR, "sessions/<YYYY>/<MM>/<DD>/")
      .replace(DATE, "<DATE>")
      .replace(SHA1, (raw) => this.#label("SHA1", raw))
      .replace(LOOPBACK_PORT, "$1:<PORT>")
      .replace(CHUNK_ID, "Chunk ID: <CHUNK>")
      .replace(WALL_TIME, "Wall time: <WALL> seconds")
      .replace(DURATION_SECONDS_TEXT, (raw) => raw.replace(/\d+(?:\.\d+)?$/, "<DURATION>"))
      .replace(EXEC_SESSION, (_, lead: string, id: string) => `${lead}${this.#label("EXEC", id)}`)
      .replace(HUMAN_DURATION, "in <DURATION>")
      .replace(ABORTED_AFTER, "aborted by user after <DURATION>");
    return out;
  }

  #proseOf(text: string): string {
    this.#prose.add(text);
    return prosePlaceholder(text);
  }

  #isProse(text: string, ctx: Context): boolean {
    const key = ctx.key ?? "";
    if (HASH_ONLY.test(text)) return false;
    if (ctx.inTools && (key === "description" || key === "definition")) return true;
    if (PROSE_KEYS.has(key)) return true;
    if (key === "text" && (ctx.proseText || ctx.parentKey === "base_instructions")) return true;
    if (
      key === "text" && ctx.userText && !USER_BLOCKS.test(text) && !this.#typed.has(text) &&
      !this.#delegated.some((raw) => this.text(raw) === text)
    ) {
      return true;
    }
    if (key === "body" && /skills/i.test(ctx.parentKey ?? "")) return true;
    return this.#prose.has(text);
  }

  /** Pass 2 for a JSON value. */
  value(value: unknown, ctx: Context = TOP): unknown {
    const key = ctx.key ?? "";
    if (typeof value === "number") {
      if (VOLATILE_NUMBER_KEY.test(key)) return "<NUM>";
      if (EXEC_KEYS.has(key)) return this.#label("EXEC", String(value));
      return value;
    }
    if (typeof value === "string") {
      if (key === "process_id" && /^\d+$/.test(value)) return this.#label("EXEC", value);
      if (NICKNAME_KEY.test(key)) return this.#label("NICKNAME", value);
      const inner = tryParseJsonContainer(value);
      if (inner !== undefined) return JSON.stringify(this.value(inner));
      const text = this.text(value);
      return this.#isProse(text, ctx) ? this.#proseOf(text) : text;
    }
    if (Array.isArray(value)) return value.map((item) => this.value(item, ctx));
    if (!isRecord(value)) return value;
    const developer = value.type === "message" &&
      (value.role === "developer" || value.role === "system");
    const user = value.type === "message" && value.role === "user";
    const out: Record<string, unknown> = {};
    const entries = Object.entries(value);
    // Upstream serialises `client_metadata` from a hash map: its key order changes run to run.
    if (key === "client_metadata") entries.sort(([a], [b]) => a.localeCompare(b));
    for (const [k, v] of entries) {
      if (k === "duration" && v !== null && typeof v !== "string") {
        out[k] = "<DURATION>";
        continue;
      }
      out[this.text(k)] = this.value(v, {
        key: k,
        parentKey: key,
        inTools: ctx.inTools || k === "tools",
        proseText: ctx.proseText || (developer && k === "content"),
        userText: ctx.userText || (user && k === "content"),
      });
    }
    return out;
  }

  headers(headers: Record<string, string>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) {
      if (name === "content-length") out[name] = "<N>";
      else if (name === "user-agent") {
        out[name] = value.replace(/\([^()]*;[^()]*\)/, "(<OS>; <ARCH>)").replace(
          VERSION,
          "<VERSION>",
        );
      } else if (name === "version") {
        // The built-in openai provider's header: each build's own version.
        out[name] = value.replace(VERSION, "<VERSION>");
      } else out[name] = this.value(value, { ...TOP, key: name }) as string;
    }
    return out;
  }

  /** stdout of a `--json` run is JSON lines; anything else is text. */
  output(text: string, jsonLines: boolean): string {
    if (!jsonLines) return this.text(text);
    return text.split("\n").map((line) => {
      try {
        return line.trim() ? JSON.stringify(this.value(JSON.parse(line))) : line;
      } catch {
        return this.text(line);
      }
    }).join("\n");
  }
}

function isJsonRun(argv: string[]): boolean {
  return argv.includes("--json");
}

/** Normalises a whole recording in a fixed order so numbering is reproducible. */
export function normaliseRecording(raw: RawRecording): Recording {
  // What the user wrote: the argv, and the text typed into an interactive run.
  const n = new Normaliser(raw.roots, raw.runs.flatMap((run) => [...run.argv, ...run.typed ?? []]));
  for (const run of raw.runs) {
    for (const request of run.requests) {
      n.scan(request.body);
      n.scan(request.headers);
    }
    if (isJsonRun(run.argv)) {
      for (const line of run.stdout.split("\n")) n.scan(tryParseJsonContainer(line));
    }
  }
  for (const rollout of raw.rollouts) n.scan(rollout.lines);

  const runs = raw.runs.map((run) => ({
    argv: run.argv.map((arg) => n.text(arg)),
    exit_code: run.exit_code,
    requests: run.requests.map((request): RequestRecord => ({
      method: request.method,
      path: request.path,
      query: n.text(request.query),
      body: n.value(request.body),
      headers: n.headers(request.headers),
    })),
    stdout: n.output(run.stdout, isJsonRun(run.argv)),
    stderr: n.text(run.stderr),
  }));
  const rollouts = raw.rollouts.map((rollout) => ({
    name: n.text(rollout.name),
    lines: rollout.lines.map((line) => n.value(line)),
  }));
  const files: Recording["files"] = {};
  for (const [path, content] of Object.entries(raw.files)) {
    files[n.text(path)] = typeof content === "string" ? n.text(content) : content;
  }
  return { scenario: raw.scenario, runs, rollouts, files };
}
