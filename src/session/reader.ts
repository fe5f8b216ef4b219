// Reading rollouts: one JSON value per line normally, but also pretty-printed or concatenated
// values (hand-edited or foreign files) and a last line cut short by a crash.
import { open, readFile } from "node:fs/promises";
import { ioCause } from "../platform/mod.ts";
import { classifyLine, type RolloutEntry } from "./schema.ts";

export interface ParsedRollout {
  entries: RolloutEntry[];
  /** The file ends inside a value: the last line was being written when the writer stopped. */
  truncated: boolean;
  /** Where that cut-short value starts (1-based), when `truncated`. */
  truncatedLine?: number;
  /** Line and event types this reader skips (newer writers' `world_state`, `ordinal` …). */
  ignored: number;
  /** Unreadable or malformed values elsewhere in the file, skipped. */
  invalid: number;
  /** The (1-based) line where each of them starts, in file order. */
  invalidLines: number[];
  /** The first reasons, each as `line N: why`. */
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

/** Counts lines as a scan moves forward through `text`: `at(pos)` is the 1-based line of `pos`. */
function lineCounter(text: string) {
  let line = 1;
  let counted = 0;
  return (pos: number): number => {
    for (;;) {
      const newline = text.indexOf("\n", counted);
      if (newline < 0 || newline >= pos) break;
      line++;
      counted = newline + 1;
    }
    return line;
  };
}

interface Unreadable {
  line: number;
  start: string;
}

/**
 * The JSON values of a rollout's text, in order, each with the line it starts on. Lines that are
 * not JSON are reported, except at the end of the text, where they are the remains of a value cut
 * short (`truncatedLine`).
 */
function* jsonValues(
  text: string,
  report: { truncatedLine?: number; unreadable: Unreadable[] },
): Generator<{ value: unknown; line: number }> {
  const lineAt = lineCounter(text);
  let pos = 0;
  // Lines not yet known to be mid-file garbage rather than part of a cut-short tail.
  let pending: Unreadable[] = [];
  // Once a bracket scan ran to the end of the text, later scans would too: stay line by line.
  let scanReachedEnd = false;
  const found = (value: unknown, line: number) => {
    report.unreadable.push(...pending);
    pending = [];
    return { value, line };
  };
  while (pos < text.length) {
    if (isSpace(text.charCodeAt(pos))) {
      pos++;
      continue;
    }
    const line = lineAt(pos);
    const newline = text.indexOf("\n", pos);
    const lineEnd = newline < 0 ? text.length : newline;
    // The common case, one compact value per line, is one JSON.parse.
    try {
      const value = JSON.parse(text.slice(pos, lineEnd));
      pos = lineEnd + 1;
      yield found(value, line);
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
          yield found(value, line);
          continue;
        } catch {
          // Balanced but not JSON: skip the line.
        }
      }
    }
    pending.push({ line, start: text.slice(pos, Math.min(lineEnd, pos + 80)) });
    pos = lineEnd + 1;
  }
  report.truncatedLine = pending[0]?.line;
}

/** Parses a rollout's text; unknown line types are counted, never an error. */
export function parseRollout(text: string): ParsedRollout {
  const report: { truncatedLine?: number; unreadable: Unreadable[] } = { unreadable: [] };
  const parsed: ParsedRollout = {
    entries: [],
    truncated: false,
    ignored: 0,
    invalid: 0,
    invalidLines: [],
    problems: [],
  };
  const bad: Array<{ line: number; reason: string }> = [];
  for (const { value, line } of jsonValues(text, report)) {
    const verdict = classifyLine(value);
    if (verdict.kind === "entry") parsed.entries.push(verdict.entry);
    else if (verdict.kind === "ignored") parsed.ignored++;
    else bad.push({ line, reason: verdict.reason });
  }
  for (const { line, start } of report.unreadable) {
    bad.push({ line, reason: `not JSON: ${JSON.stringify(start)}` });
  }
  bad.sort((a, b) => a.line - b.line);
  parsed.invalid = bad.length;
  parsed.invalidLines = bad.map((b) => b.line);
  parsed.problems = bad.slice(0, MAX_PROBLEMS).map((b) => `line ${b.line}: ${b.reason}`);
  parsed.truncated = report.truncatedLine !== undefined;
  if (report.truncatedLine !== undefined) parsed.truncatedLine = report.truncatedLine;
  return parsed;
}

/**
 * What resuming found wrong with a rollout, for a warning: the lines skipped (how many, where,
 * the first reasons) and a last line cut short. Undefined when the file is whole.
 */
export function rolloutDamage(
  path: string,
  parsed: Pick<ParsedRollout, "invalid" | "invalidLines" | "problems" | "truncatedLine">,
): string | undefined {
  const parts: string[] = [];
  if (parsed.invalid > 0) {
    const shown = parsed.invalidLines.slice(0, 10).join(", ");
    const more = parsed.invalid > 10 ? ` and ${parsed.invalid - 10} more` : "";
    parts.push(
      `${parsed.invalid} corrupted line${parsed.invalid === 1 ? "" : "s"} skipped ` +
        `(line${parsed.invalid === 1 ? "" : "s"} ${shown}${more}; ${parsed.problems[0]})`,
    );
  }
  if (parsed.truncatedLine !== undefined) {
    parts.push(
      `the last line (${parsed.truncatedLine}) is incomplete, as a crash while writing leaves ` +
        "it, and is left out",
    );
  }
  if (parts.length === 0) return undefined;
  return `rollout ${path}: ${parts.join("; ")}. The session resumes from the readable lines.`;
}

/** Reads and parses a whole rollout file. A file with no readable line at all is an error. */
export async function readRollout(path: string): Promise<ParsedRollout> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new RolloutReadError(path, ioCause(err));
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
