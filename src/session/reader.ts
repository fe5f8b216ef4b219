// Reading rollouts: one JSON value per line normally, but also pretty-printed or concatenated
// values (hand-edited or foreign files) and a last line cut short by a crash.
import { open, readFile } from "node:fs/promises";
import { classifyLine, type RolloutEntry } from "./schema.ts";

export interface ParsedRollout {
  entries: RolloutEntry[];
  /** The file ends inside a value: the last line was being written when the writer stopped. */
  truncated: boolean;
  /** Line and event types this reader skips (newer writers' `world_state`, `ordinal` …). */
  ignored: number;
  /** Unreadable or malformed values elsewhere in the file, skipped, with the first reasons. */
  invalid: number;
  problems: string[];
}

export class RolloutReadError extends Error {
  constructor(readonly path: string, detail: string) {
    super(`cannot read rollout ${path}: ${detail}`);
    this.name = "RolloutReadError";
  }
}

const MAX_PROBLEMS = 5;

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

/**
 * The end (exclusive) of the JSON object or array starting at `start`, found by matching brackets
 * outside strings; -1 when the text ends first.
 */
function valueEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      if (--depth === 0) return i + 1;
    }
  }
  return -1;
}

/**
 * The JSON values of a rollout's text, in order. Lines that are not JSON are reported, except at
 * the end of the text, where they are the remains of a value cut short (`truncated`).
 */
function* jsonValues(text: string, report: { truncated: boolean; unreadable: string[] }) {
  let pos = 0;
  // Lines not yet known to be mid-file garbage rather than part of a cut-short tail.
  let pending: string[] = [];
  // Once a bracket scan ran to the end of the text, later scans would too: stay line by line.
  let scanReachedEnd = false;
  const found = (value: unknown) => {
    report.unreadable.push(...pending);
    pending = [];
    return value;
  };
  while (pos < text.length) {
    if (isSpace(text.charCodeAt(pos))) {
      pos++;
      continue;
    }
    const newline = text.indexOf("\n", pos);
    const lineEnd = newline < 0 ? text.length : newline;
    // The common case, one compact value per line, is one JSON.parse.
    try {
      const value = JSON.parse(text.slice(pos, lineEnd));
      pos = lineEnd + 1;
      yield found(value);
      continue;
    } catch {
      // Not a whole value on this line; scan for the value's extent below.
    }
    const opener = text.charCodeAt(pos);
    if (!scanReachedEnd && (opener === 0x7b || opener === 0x5b)) {
      const end = valueEnd(text, pos);
      if (end < 0) scanReachedEnd = true;
      else {
        try {
          const value = JSON.parse(text.slice(pos, end));
          pos = end;
          yield found(value);
          continue;
        } catch {
          // Balanced but not JSON: skip the line.
        }
      }
    }
    pending.push(text.slice(pos, Math.min(lineEnd, pos + 80)));
    pos = lineEnd + 1;
  }
  report.truncated = pending.length > 0;
}

/** Parses a rollout's text; unknown line types are counted, never an error. */
export function parseRollout(text: string): ParsedRollout {
  const report = { truncated: false, unreadable: [] as string[] };
  const parsed: ParsedRollout = {
    entries: [],
    truncated: false,
    ignored: 0,
    invalid: 0,
    problems: [],
  };
  const problem = (reason: string) => {
    parsed.invalid++;
    if (parsed.problems.length < MAX_PROBLEMS) parsed.problems.push(reason);
  };
  for (const value of jsonValues(text, report)) {
    const verdict = classifyLine(value);
    if (verdict.kind === "entry") parsed.entries.push(verdict.entry);
    else if (verdict.kind === "ignored") parsed.ignored++;
    else problem(verdict.reason);
  }
  for (const start of report.unreadable) problem(`not JSON: ${JSON.stringify(start)}`);
  parsed.truncated = report.truncated;
  return parsed;
}

/** Reads and parses a whole rollout file. A file with no readable line at all is an error. */
export async function readRollout(path: string): Promise<ParsedRollout> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new RolloutReadError(path, (err as Error).message);
  }
  const parsed = parseRollout(text);
  if (parsed.entries.length === 0) {
    const why = parsed.problems[0] ?? (text.trim() ? "no rollout lines" : "the file is empty");
    throw new RolloutReadError(path, why);
  }
  return parsed;
}

/**
 * Reads the start of a rollout, growing the read until `enough` says so or the file ends: listing
 * needs only the session_meta and the first user message, not a 50 MB history.
 */
export async function readRolloutHead(
  path: string,
  enough: (entries: RolloutEntry[]) => boolean,
  firstChunk = 64 * 1024,
): Promise<RolloutEntry[]> {
  const file = await open(path, "r");
  try {
    const size = (await file.stat()).size;
    let length = Math.min(firstChunk, size);
    for (;;) {
      const buffer = new Uint8Array(length);
      const { bytesRead } = await file.read(buffer, 0, length, 0);
      const entries = parseRollout(new TextDecoder().decode(buffer.subarray(0, bytesRead)))
        .entries;
      if (bytesRead >= size || enough(entries)) return entries;
      length = Math.min(length * 4, size);
    }
  } finally {
    await file.close();
  }
}
