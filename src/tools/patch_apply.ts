// Applying a parsed patch: every hunk is resolved against the files in memory first (so a patch
// that fails anywhere changes nothing), then the new contents are written to temporary files
// beside their targets and renamed into place, with the originals restored if a step fails.
import {
  chmod,
  lstat,
  mkdir,
  readFile,
  realpath,
  rename,
  rmdir,
  unlink,
  writeFile,
} from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { describeFsError } from "./fs_errors.ts";
import type { Hunk, UpdateChunk } from "./patch_parser.ts";
import { canWrite, type SandboxPolicy } from "./sandbox.ts";
import type { FileChange } from "./registry.ts";
import { randomHex } from "../protocol/mod.ts";

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
  cwd: string;
  sandbox?: SandboxPolicy;
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
      bytes = await readFile(path);
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
 * The rule the command sandbox mounts (sandbox.ts): writable roots only — read-only has just the
 * ones granted explicitly (request_permissions) — with `.git` and `.codex` kept read-only.
 */
function checkSandbox(paths: string[], options: ApplyOptions): void {
  if (paths.every((path) => canWrite(path, options.sandbox, options.cwd))) return;
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

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** Creates the missing ancestors of `dir`, returning those it created, outermost first. */
async function makeParents(dir: string): Promise<string[]> {
  const missing: string[] = [];
  for (let current = dir; !(await exists(current)); current = dirname(current)) {
    missing.unshift(current);
    if (dirname(current) === current) break;
  }
  if (missing.length > 0) await mkdir(dir, { recursive: true });
  return missing;
}

interface Snapshot {
  /** The file actually written: a symlink's target, so links survive an update. */
  target: string;
  original: Uint8Array | null;
  mode?: number;
}

async function snapshot(path: string, deleting: boolean): Promise<Snapshot> {
  try {
    const info = await lstat(path);
    const target = info.isSymbolicLink() && !deleting ? await realpath(path) : path;
    const original = info.isSymbolicLink() && deleting ? null : await readFile(target);
    return { target, original, mode: info.isSymbolicLink() ? undefined : info.mode & 0o7777 };
  } catch {
    return { target: path, original: null };
  }
}

/** A write that failed part-way; the files it had touched are back as they were. */
export class PatchWriteError extends Error {
  override name = "PatchWriteError";
}

/** Runs one step of the commit, naming what it was doing if it fails (as upstream's errors do). */
async function step<T>(what: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (err) {
    throw new PatchWriteError(`${what}: ${describeFsError(err)}`);
  }
}

/**
 * Writes the planned contents. New texts go to temporary files next to their targets first, then
 * are renamed over them; deletions come last. If any step fails, finished steps are undone.
 */
async function commit(planned: Map<string, string | null>): Promise<void> {
  const entries = [...planned];
  const snapshots = await Promise.all(
    entries.map(([path, contents]) => snapshot(path, contents === null)),
  );
  const createdDirs: string[] = [];
  const temps: string[] = [];
  const done: number[] = [];
  try {
    const staged: Array<[number, string]> = [];
    for (const [index, [, contents]] of entries.entries()) {
      if (contents === null) continue;
      const { target, mode } = snapshots[index];
      createdDirs.push(
        ...await step(
          `Failed to create parent directories for ${target}`,
          () => makeParents(dirname(target)),
        ),
      );
      const temp = join(dirname(target), `.${randomHex(6)}.tscodex-patch`);
      await step(`Failed to write file ${target}`, async () => {
        await writeFile(temp, contents, { flag: "wx" });
        temps.push(temp);
        // Keep an edited script executable: the mode is the original file's, umask aside.
        if (mode !== undefined) await chmod(temp, mode);
      });
      staged.push([index, temp]);
    }
    for (const [index, temp] of staged) {
      const { target } = snapshots[index];
      await step(`Failed to write file ${target}`, () => rename(temp, target));
      temps.splice(temps.indexOf(temp), 1);
      done.push(index);
    }
    for (const [index, [path, contents]] of entries.entries()) {
      if (contents !== null || !(await exists(path))) continue;
      await step(`Failed to delete file ${path}`, () => unlink(path));
      done.push(index);
    }
  } catch (err) {
    await Promise.allSettled(temps.map((temp) => unlink(temp)));
    for (const index of done.reverse()) {
      const { target, original } = snapshots[index];
      const path = entries[index][0];
      await (original === null ? unlink(target) : writeFile(path, original)).catch(() => {});
    }
    for (const dir of createdDirs.reverse()) await rmdir(dir).catch(() => {});
    throw err;
  }
}

/** Verifies the whole patch, checks the sandbox, then writes it all or nothing. */
export async function applyHunks(hunks: Hunk[], options: ApplyOptions): Promise<PatchSummary> {
  const { planned, summary } = await planPatch(hunks, options.cwd);
  checkSandbox([...planned.keys()], options);
  await commit(planned);
  return summary;
}
