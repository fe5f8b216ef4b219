// Applying a parsed patch: every hunk is resolved against the files in memory first (so a patch
// that fails anywhere changes nothing), the sandbox is asked about every real path it would
// write, and patch_commit.ts writes it all or nothing.
import { resolve } from "node:path";
import { describeFsError } from "./fs_errors.ts";
import type { Hunk, UpdateChunk } from "./patch_parser.ts";
import {
  commitPatch,
  defaultJournalDir,
  type PreparedPatch,
  preparePatch,
  recoverInterruptedPatches,
} from "./patch_commit.ts";
import { canWriteAt, type SandboxPolicy } from "./sandbox.ts";
import type { FileChange } from "./registry.ts";
import { readRegularFile } from "./regular_file.ts";

export { PatchWriteError } from "./patch_commit.ts";

/** A patch that cannot apply to the files as they are; nothing was written. */
export class PatchVerificationError extends Error {
  override name = "PatchVerificationError";
}

/** The sandbox forbids one of the patch's writes; nothing was written. */
export class PatchRejectedError extends Error {
  override name = "PatchRejectedError";
}

export interface PatchSummary {
  /** Paths as the patch names them, per kind, in patch order (upstream's summary lines). */
  added: string[];
  modified: string[];
  deleted: string[];
  /** Absolute paths for the UI. */
  changes: FileChange[];
}

export interface ApplyOptions {
  /** The session's folder: the sandbox judges every write from it. */
  cwd: string;
  /** Where the patch's relative paths start, when not `cwd` (a command's `cd` or workdir). */
  folder?: string;
  sandbox?: SandboxPolicy;
  /** Where the journal that makes a patch all-or-nothing is kept; a per-user temp folder if unset. */
  journalDir?: string;
  /** Called before each file is written (tests pause or race here). */
  beforeStep?: (index: number) => void | Promise<void>;
}

/** Typographic punctuation and odd spaces that models write as ASCII (upstream's last pass). */
const LOOKALIKES: Record<string, string> = Object.fromEntries([
  ..."\u2010\u2011\u2012\u2013\u2014\u2015\u2212".split("").map((c) => [c, "-"]),
  ..."\u2018\u2019\u201A\u201B".split("").map((c) => [c, "'"]),
  ..."\u201C\u201D\u201E\u201F".split("").map((c) => [c, '"']),
  ..."\u00A0\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200A\u202F\u205F\u3000".split("")
    .map((c) => [c, " "]),
]);
const LOOKALIKE_PATTERN = new RegExp(`[${Object.keys(LOOKALIKES).join("")}]`, "g");

const MATCHERS: Array<(line: string) => string> = [
  (line) => line,
  (line) => line.trimEnd(),
  (line) => line.trim(),
  (line) => line.trim().replace(LOOKALIKE_PATTERN, (c) => LOOKALIKES[c]),
];

/**
 * Index where `pattern` occurs in `lines` at or after `start`, trying exact equality first, then
 * ignoring trailing whitespace, then surrounding whitespace, then typographic look-alikes. With
 * `endOfFile` the search starts at the last possible position.
 */
export function seekSequence(
  lines: string[],
  pattern: string[],
  start: number,
  endOfFile: boolean,
): number | undefined {
  if (pattern.length === 0) return start;
  if (pattern.length > lines.length) return undefined;
  const from = endOfFile ? lines.length - pattern.length : start;
  for (const normalise of MATCHERS) {
    const wanted = pattern.map(normalise);
    for (let i = from; i <= lines.length - pattern.length; i++) {
      if (wanted.every((line, k) => normalise(lines[i + k]) === line)) return i;
    }
  }
  return undefined;
}

/** True when every newline is part of a CRLF pair. */
function usesCrlf(text: string): boolean {
  const newlines = text.split("\n").length - 1;
  return newlines > 0 && text.split("\r\n").length - 1 === newlines;
}

/** The file's new text after the chunks; CRLF files keep CRLF, and the result ends in a newline. */
export function applyChunks(original: string, chunks: UpdateChunk[], displayPath: string): string {
  const crlf = usesCrlf(original);
  const lines = original.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  if (crlf) lines.forEach((line, i) => lines[i] = line.endsWith("\r") ? line.slice(0, -1) : line);

  const replacements: Array<[number, number, string[]]> = [];
  let cursor = 0;
  for (const chunk of chunks) {
    if (chunk.context !== undefined) {
      const at = seekSequence(lines, [chunk.context], cursor, false);
      if (at === undefined) {
        throw new PatchVerificationError(
          `Failed to find context '${chunk.context}' in ${displayPath}`,
        );
      }
      cursor = at + 1;
    }
    if (chunk.oldLines.length === 0) {
      // Pure additions go at the end of the file, before a final blank line if there is one.
      const at = lines[lines.length - 1] === "" ? lines.length - 1 : lines.length;
      replacements.push([at, 0, chunk.newLines]);
      continue;
    }
    let pattern = chunk.oldLines;
    let replacement = chunk.newLines;
    let at = seekSequence(lines, pattern, cursor, chunk.endOfFile);
    if (at === undefined && pattern[pattern.length - 1] === "") {
      // A trailing empty old line stands for the file's final newline; retry without it.
      pattern = pattern.slice(0, -1);
      if (replacement[replacement.length - 1] === "") replacement = replacement.slice(0, -1);
      at = seekSequence(lines, pattern, cursor, chunk.endOfFile);
    }
    if (at === undefined) {
      throw new PatchVerificationError(
        `Failed to find expected lines in ${displayPath}:\n${chunk.oldLines.join("\n")}`,
      );
    }
    replacements.push([at, pattern.length, replacement]);
    cursor = at + pattern.length;
  }
  replacements.sort((a, b) => a[0] - b[0]);
  for (const [at, length, replacement] of replacements.reverse()) {
    lines.splice(at, length, ...replacement);
  }
  if (lines[lines.length - 1] !== "") lines.push("");
  return lines.join(crlf ? "\r\n" : "\n");
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The planned contents of every touched path (null: deleted), reading through earlier hunks. */
class Overlay {
  readonly planned = new Map<string, string | null>();

  async read(path: string, context: string): Promise<string> {
    if (this.planned.has(path)) {
      const planned = this.planned.get(path);
      if (planned === null || planned === undefined) {
        throw new PatchVerificationError(`${context}: ${describeFsError({ code: "ENOENT" })}`);
      }
      return planned;
    }
    let bytes: Uint8Array;
    try {
      bytes = await readRegularFile(path);
    } catch (err) {
      throw new PatchVerificationError(`${context}: ${describeFsError(err)}`);
    }
    try {
      return utf8.decode(bytes);
    } catch {
      throw new PatchVerificationError(`${context}: stream did not contain valid UTF-8`);
    }
  }
}

/**
 * The rule the command sandbox mounts (sandbox.ts), asked about the real place of every write:
 * writable roots only — read-only has just the ones granted explicitly (request_permissions) —
 * with `.git`, `.codex` and `.agents` kept read-only.
 */
function checkSandbox(prepared: PreparedPatch, options: ApplyOptions): void {
  const allowed = prepared.entries.every((entry) =>
    canWriteAt(entry.dir, entry.name, options.sandbox, options.cwd)
  );
  if (allowed) return;
  throw new PatchRejectedError(
    "patch rejected: writing outside of the project; rejected by user approval settings",
  );
}

/** Resolves every hunk in memory; throws PatchVerificationError without touching any file. */
export async function planPatch(
  hunks: Hunk[],
  cwd: string,
): Promise<{ planned: Map<string, string | null>; summary: PatchSummary }> {
  const overlay = new Overlay();
  const summary: PatchSummary = { added: [], modified: [], deleted: [], changes: [] };
  for (const hunk of hunks) {
    const path = resolve(cwd, hunk.path);
    switch (hunk.kind) {
      case "add":
        overlay.planned.set(path, hunk.contents);
        summary.added.push(hunk.path);
        summary.changes.push({ path, kind: "add" });
        break;
      case "delete":
        await overlay.read(path, `Failed to read ${path}`);
        overlay.planned.set(path, null);
        summary.deleted.push(hunk.path);
        summary.changes.push({ path, kind: "delete" });
        break;
      case "update": {
        const original = await overlay.read(path, `Failed to read file to update ${path}`);
        const updated = applyChunks(original, hunk.chunks, path);
        const destination = hunk.moveTo === undefined ? path : resolve(cwd, hunk.moveTo);
        if (destination !== path) overlay.planned.set(path, null);
        overlay.planned.set(destination, updated);
        summary.modified.push(hunk.moveTo ?? hunk.path);
        // Upstream names a moved file by where it was.
        summary.changes.push({ path, kind: "update" });
        break;
      }
    }
  }
  return { planned: overlay.planned, summary };
}

/**
 * Verifies the whole patch, checks the sandbox, then writes it all or nothing — after rolling
 * back any patch a dead process left half-applied.
 */
export async function applyHunks(hunks: Hunk[], options: ApplyOptions): Promise<PatchSummary> {
  const journalDir = options.journalDir ?? defaultJournalDir();
  recoverInterruptedPatches(journalDir);
  const { planned, summary } = await planPatch(hunks, options.folder ?? options.cwd);
  const prepared = preparePatch(planned);
  checkSandbox(prepared, options);
  await commitPatch(prepared, { journalDir, beforeStep: options.beforeStep });
  return summary;
}
