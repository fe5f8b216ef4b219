// Writing a verified patch to disk: all of it or none of it, even across a kill -9, and never
// through a symbolic link swapped in while the patch is applied.
//
// All or nothing: before the first file is touched, a journal with every file's original and
// planned bytes is written (and synced) outside the workspace. Files are then rewritten in place,
// so no temporary file ever sits in the workspace. When the patch finishes, the journal goes;
// when a step fails, the journal rolls the files back at once; when the process dies, the next
// session (or the next apply_patch) finds the journal of a dead process and rolls back the same
// way — the model was told the call was aborted, so its files are as they were.
//
// No swapped links: on Linux every folder is opened one component at a time with O_NOFOLLOW,
// starting from `/`, and the files are reached through `/proc/self/fd/N/name`, so a folder that a
// command turns into a symbolic link after the patch was checked is refused, not followed; the
// file itself is opened with O_NOFOLLOW too. Elsewhere the folder's real path is checked right
// before each step, which narrows the window but cannot close it.
import { Buffer } from "node:buffer";
import {
  closeSync,
  constants,
  existsSync,
  fchmodSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  readSync,
  realpathSync,
  renameSync,
  rmdirSync,
  symlinkSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import process from "node:process";
import { describeFsError } from "./fs_errors.ts";
import { randomHex } from "../protocol/mod.ts";
import { realPathOf } from "./sandbox.ts";

/** A write that failed part-way; the files it had touched are back as they were. */
export class PatchWriteError extends Error {
  override name = "PatchWriteError";
}

/** What one patch does to one path: new contents, or null to delete it. */
export type PlannedContents = Map<string, string | null>;

export interface CommitOptions {
  /** Where journals are kept: outside the workspace, surviving the process. */
  journalDir: string;
  /** Called before the index-th file is written or deleted (tests pause or race here). */
  beforeStep?: (index: number) => void | Promise<void>;
}

/** The journal's record of one file: where it is, what it held, what the patch makes it. */
interface JournalEntry {
  /** The folder the file is in, as a real path (no symbolic links). */
  dir: string;
  name: string;
  /** The path as the patch named it, for messages. */
  display: string;
  /** Base64 of the bytes before the patch; null when there was no file. */
  original: string | null;
  /** What a deleted symbolic link pointed to, to recreate it. */
  link?: string;
  mode?: number;
  /** Base64 of the bytes the patch writes; null when it deletes the file. */
  planned: string | null;
}

interface Journal {
  version: 1;
  owner: Owner;
  /** Folders the patch creates, outermost first; removed again on rollback when empty. */
  createdDirs: string[];
  entries: JournalEntry[];
}

/** A process, told apart from a later one that got the same pid. */
interface Owner {
  pid: number;
  /** Its start time in clock ticks after boot (/proc/PID/stat field 22), where known. */
  start: number | null;
}

function startTimeOf(pid: number | "self"): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name may hold spaces and parentheses; the fields after it do not.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[19]);
  } catch {
    return null;
  }
}

function isAlive(owner: Owner): boolean {
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  return owner.start === null || startTimeOf(owner.pid) === owner.start;
}

const PROC_FD = "/proc/self/fd";
let pinnable: boolean | undefined;

/**
 * Folders held open by descriptor, so that paths inside them resolve through the descriptor
 * rather than through whatever the folder's path names now.
 */
class Folders {
  readonly #fds = new Map<string, number>();

  /** A path that names `name` inside the real folder `dir`; creates missing folders if asked. */
  at(dir: string, name: string, create = false): string {
    pinnable ??= existsSync(PROC_FD);
    if (!pinnable) return join(this.#checked(dir, create), name);
    return `${PROC_FD}/${this.#open(dir, create)}/${name}`;
  }

  #open(dir: string, create: boolean): number {
    const known = this.#fds.get(dir);
    if (known !== undefined) return known;
    const parent = dirname(dir);
    let fd: number;
    if (parent === dir) {
      fd = openSync("/", constants.O_RDONLY | constants.O_DIRECTORY);
    } else {
      const path = `${PROC_FD}/${this.#open(parent, create)}/${basename(dir)}`;
      const flags = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;
      try {
        fd = openSync(path, flags);
      } catch (err) {
        if (!create || (err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
        mkdirSync(path);
        fd = openSync(path, flags);
      }
    }
    this.#fds.set(dir, fd);
    return fd;
  }

  #checked(dir: string, create: boolean): string {
    if (create && !existsSync(dir)) mkdirSync(dir, { recursive: true });
    if (realpathSync(dir) !== dir) {
      throw Object.assign(new Error(`${dir} is no longer the folder it was`), { code: "ELOOP" });
    }
    return dir;
  }

  close(): void {
    for (const fd of this.#fds.values()) closeSync(fd);
    this.#fds.clear();
  }
}

/**
 * Where a planned path is written: a symbolic link is written through (so links survive an
 * update) unless it is being deleted, which removes the link itself.
 */
function targetOf(path: string, deleting: boolean): { dir: string; name: string } {
  let target = path;
  if (!deleting) {
    for (let hops = 0; hops < 40; hops++) {
      let link: string;
      try {
        if (!lstatSync(target).isSymbolicLink()) break;
        link = readlinkSync(target);
      } catch {
        break;
      }
      target = resolve(dirname(target), link);
    }
  }
  return { dir: realPathOf(dirname(target)), name: basename(target) };
}

type Current =
  | { kind: "missing" }
  | { kind: "file"; bytes: Uint8Array; mode: number }
  | { kind: "link"; target: string }
  | { kind: "other" };

/** What is at `path` now, read without following a link and without blocking on a FIFO. */
function readCurrent(path: string): Current {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { kind: "missing" };
    if (code === "ELOOP") return { kind: "link", target: readlinkSync(path) };
    throw err;
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) return { kind: "other" };
    const bytes = new Uint8Array(info.size);
    let length = 0;
    for (;;) {
      if (length === bytes.length) {
        // Grown since fstat: read the rest too.
        const more = new Uint8Array(Math.max(4096, bytes.length));
        const n = readSync(fd, more, 0, more.length, length);
        if (n === 0) break;
        const grown = new Uint8Array(length + n);
        grown.set(bytes.subarray(0, length));
        grown.set(more.subarray(0, n), length);
        return { kind: "file", bytes: grown, mode: info.mode & 0o7777 };
      }
      const n = readSync(fd, bytes, length, bytes.length - length, length);
      if (n === 0) break;
      length += n;
    }
    return { kind: "file", bytes: bytes.subarray(0, length), mode: info.mode & 0o7777 };
  } finally {
    closeSync(fd);
  }
}

/** Replaces the contents of the regular file at `path` (created if missing), in place. */
function writeInPlace(path: string, bytes: Uint8Array, mode?: number): void {
  const fd = openSync(
    path,
    constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK,
    0o666,
  );
  try {
    if (!fstatSync(fd).isFile()) {
      throw Object.assign(new Error("not a regular file"), { code: "EINVAL" });
    }
    ftruncateSync(fd, 0);
    for (let at = 0; at < bytes.length;) at += writeSync(fd, bytes, at, bytes.length - at, at);
    if (mode !== undefined) fchmodSync(fd, mode);
  } finally {
    closeSync(fd);
  }
}

function bytesOf(base64: string | null): Uint8Array | null {
  return base64 === null ? null : new Uint8Array(Buffer.from(base64, "base64"));
}

function base64Of(bytes: Uint8Array | null): string | null {
  return bytes === null ? null : Buffer.from(bytes).toString("base64");
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (prefix.length > bytes.length) return false;
  return prefix.every((byte, i) => bytes[i] === byte);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && startsWith(a, b);
}

function syncFolder(dir: string): void {
  const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes `journal` so that it is either whole and durable, or not there at all; in the session's
 * folder, else (a read-only CODEX_HOME) in the per-user temp one. Returns its path.
 */
function writeJournal(options: CommitOptions, journal: Journal): string {
  let dir = options.journalDir;
  try {
    ownFolder(dir, true);
  } catch {
    dir = defaultJournalDir();
    ownFolder(dir, true);
  }
  const file = join(dir, `${process.pid}-${randomHex(8)}.json`);
  const temp = `${file}.tmp`;
  const fd = openSync(temp, "wx", 0o600);
  try {
    writeSync(fd, JSON.stringify(journal));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, file);
  syncFolder(dir);
  return file;
}

/**
 * Checks that `dir` is a real folder of this user that nobody else may write (creating it when
 * asked): a journal is trusted to say what to write where, so a folder someone else controls —
 * say, one planted under /tmp — must never be used.
 */
function ownFolder(dir: string, create: boolean): void {
  if (create) mkdirSync(dir, { recursive: true, mode: 0o700 });
  const info = lstatSync(dir);
  const uid = process.getuid?.();
  if (
    !info.isDirectory() || (uid !== undefined && info.uid !== uid) || (info.mode & 0o022) !== 0
  ) {
    throw Object.assign(new Error(`${dir} is not a private folder of this user`), {
      code: "EACCES",
    });
  }
}

/** Missing ancestors of `dir` (a real path), outermost first. */
function missingFolders(dir: string): string[] {
  const missing: string[] = [];
  for (let current = dir; !existsSync(current); current = dirname(current)) {
    missing.unshift(current);
    if (dirname(current) === current) break;
  }
  return missing;
}

/** Runs one step, naming what it was doing if it fails (as upstream's errors do). */
function step<T>(what: string, action: () => T): T {
  try {
    return action();
  } catch (err) {
    throw new PatchWriteError(`${what}: ${describeFsError(err)}`);
  }
}

export interface RollbackReport {
  /** Paths put back as they were. */
  restored: string[];
  /** Paths changed by someone else since, left as they are. */
  kept: string[];
}

/** Undoes what the journal's patch did, as far as it got; never touches files changed since. */
function rollBack(journal: Journal): RollbackReport {
  const report: RollbackReport = { restored: [], kept: [] };
  const folders = new Folders();
  try {
    for (const entry of [...journal.entries].reverse()) {
      const original = bytesOf(entry.original);
      const planned = bytesOf(entry.planned);
      let path: string;
      let current: Current;
      try {
        path = folders.at(entry.dir, entry.name);
        current = readCurrent(path);
      } catch {
        // Its folder is gone or was swapped for a link: nothing of ours to put back there.
        if (original !== null) report.kept.push(entry.display);
        continue;
      }
      if (planned !== null) {
        if (current.kind !== "file") {
          if (current.kind !== "missing" || original !== null) report.kept.push(entry.display);
          continue;
        }
        if (original !== null && sameBytes(original, current.bytes)) continue;
        // In place: the file holds the new bytes or the first part of them (a cut write).
        if (!startsWith(planned, current.bytes)) {
          report.kept.push(entry.display);
          continue;
        }
        if (original === null) unlinkSync(path);
        else writeInPlace(path, original);
        report.restored.push(entry.display);
      } else if (current.kind === "missing") {
        if (entry.link !== undefined) symlinkSync(entry.link, path);
        else if (original !== null) writeInPlace(path, original, entry.mode);
        report.restored.push(entry.display);
      }
    }
    for (const dir of [...journal.createdDirs].reverse()) {
      try {
        rmdirSync(folders.at(dirname(dir), basename(dir)));
      } catch {
        // Not empty (someone else's file is in it) or already gone.
      }
    }
  } finally {
    folders.close();
  }
  // Undone last to first; reported in the patch's order.
  report.restored.reverse();
  report.kept.reverse();
  return report;
}

/** The journal folder's name under CODEX_HOME, where sessions keep it. */
export const PATCH_JOURNAL_FOLDER = "patch_journal";

/** The default journal folder when the session names none: per user, under the temp folder. */
export function defaultJournalDir(): string {
  return join(tmpdir(), `tscodex-patch-journal-${process.getuid?.() ?? "user"}`);
}

/**
 * The folders journals may be kept in (`journalDir`, and the per-user temp one a read-only
 * CODEX_HOME falls back to), made now if missing. A session hands them to the sandbox as
 * protected folders before any command runs: a command that could write a journal there could
 * have tscodex "roll back" any file it names to bytes of the command's choosing.
 */
export function journalFolders(journalDir: string): string[] {
  const folders = [...new Set([journalDir, defaultJournalDir()])];
  for (const dir of folders) {
    try {
      ownFolder(dir, true);
    } catch {
      // Unusable (a read-only CODEX_HOME, or not private): no journal is written or read there.
    }
  }
  return folders;
}

export interface RecoveredPatch extends RollbackReport {
  journal: string;
}

/**
 * Rolls back every patch in `journalDir` (and the per-user temp folder a read-only one falls
 * back to) whose process died while applying it, and removes its journal; patches of live
 * processes are left alone. Returns what was done, for the user.
 */
export function recoverInterruptedPatches(journalDir: string): RecoveredPatch[] {
  return [...new Set([journalDir, defaultJournalDir()])].flatMap(recoverIn);
}

function recoverIn(journalDir: string): RecoveredPatch[] {
  let names: string[];
  try {
    ownFolder(journalDir, false);
    names = readdirSync(journalDir);
  } catch {
    return [];
  }
  const recovered: RecoveredPatch[] = [];
  for (const name of names.sort()) {
    const file = join(journalDir, name);
    const pid = Number(/^(\d+)-/.exec(name)?.[1]);
    if (name.endsWith(".json.tmp")) {
      // Written only part-way, so nothing in the workspace was touched yet.
      if (!isAlive({ pid, start: null })) unlinkSync(file);
      continue;
    }
    if (!name.endsWith(".json")) continue;
    let journal: Journal;
    try {
      journal = JSON.parse(readFileSync(file, "utf8"));
    } catch {
      continue;
    }
    if (isAlive(journal.owner)) continue;
    recovered.push({ journal: file, ...rollBack(journal) });
    unlinkSync(file);
  }
  return recovered;
}

/** A patch ready to write: every file's real place and what it holds now. */
export interface PreparedPatch {
  entries: readonly JournalEntry[];
  createdDirs: readonly string[];
}

/**
 * Resolves where each of `planned`'s paths is written (a symbolic link is written through unless
 * it is deleted) and reads what is there now. Writes come before deletions, so a move never
 * leaves the file in neither place.
 */
export function preparePatch(planned: PlannedContents): PreparedPatch {
  const encoder = new TextEncoder();
  const folders = new Folders();
  const entries: JournalEntry[] = [];
  const createdDirs: string[] = [];
  const order = [
    ...[...planned].filter(([, contents]) => contents !== null),
    ...[...planned].filter(([, contents]) => contents === null),
  ];
  try {
    for (const [display, contents] of order) {
      const { dir, name } = targetOf(display, contents === null);
      const current = step(
        `Failed to ${contents === null ? "delete" : "write"} file ${join(dir, name)}`,
        () => existsSync(dir) ? readCurrent(folders.at(dir, name)) : { kind: "missing" as const },
      );
      for (const folder of missingFolders(dir)) {
        if (!createdDirs.includes(folder)) createdDirs.push(folder);
      }
      entries.push({
        dir,
        name,
        display,
        original: current.kind === "file" ? base64Of(current.bytes) : null,
        ...(current.kind === "file" ? { mode: current.mode } : {}),
        ...(current.kind === "link" && contents === null ? { link: current.target } : {}),
        planned: contents === null ? null : base64Of(encoder.encode(contents)),
      });
    }
  } finally {
    folders.close();
  }
  return { entries, createdDirs };
}

/**
 * Writes a prepared patch all or nothing. Throws PatchWriteError, with every file back as it
 * was, when a step fails.
 */
export async function commitPatch(prepared: PreparedPatch, options: CommitOptions): Promise<void> {
  const journal: Journal = {
    version: 1,
    owner: { pid: process.pid, start: startTimeOf("self") },
    createdDirs: [...prepared.createdDirs],
    entries: [...prepared.entries],
  };
  const file = step("Failed to write the patch journal", () => writeJournal(options, journal));
  const writing = new Folders();
  try {
    for (const [index, entry] of journal.entries.entries()) {
      await options.beforeStep?.(index);
      const path = join(entry.dir, entry.name);
      if (entry.planned !== null) {
        const at = step(
          `Failed to create parent directories for ${path}`,
          () => writing.at(entry.dir, entry.name, true),
        );
        step(`Failed to write file ${path}`, () => writeInPlace(at, bytesOf(entry.planned)!));
      } else {
        step(`Failed to delete file ${path}`, () => unlinkSync(writing.at(entry.dir, entry.name)));
      }
    }
  } catch (err) {
    writing.close();
    rollBack(journal);
    unlinkSync(file);
    throw err;
  }
  writing.close();
  unlinkSync(file);
}
