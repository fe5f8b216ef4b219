// The rollout recorder: one JSON line per record, appended with a single write the moment the
// record exists, so a killed process loses at most the line it was writing.
//
// Writes are synchronous on purpose. A line is in the kernel when `append` returns, so it survives
// SIGKILL, and records can never reorder or pile up in a queue the crash would drop. No fsync per
// line: it protects only against power loss, at milliseconds per call on real disks (a turn writes
// dozens of lines); `close()` fsyncs once so a finished session is durable.
//
// A failed write (a full disk) never leaves half a line: the file is cut back to its last complete
// line and the error, naming the file and the cause, is thrown to whoever recorded. The lines that
// could not be written are kept in order and go first on the next write, so the file is always a
// valid prefix of the session and catches up once there is room again.
import {
  closeSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readSync,
  rmSync,
  writeSync,
} from "node:fs";
import { dirname } from "node:path";
import type { ResponseItem } from "../protocol/mod.ts";
import { FileError, ioHint } from "../platform/mod.ts";
import type { RolloutLineType } from "./schema.ts";

/** What to do when the rollout cannot be written: the general advice, and where else to go. */
function rolloutHint(err: unknown): string {
  const general = ioHint(err);
  return `${general ? `${general}, or ` : ""}set CODEX_HOME to a writable folder`;
}

/** A rollout could not be created or written; the file holds every line before the failed one. */
export class RolloutWriteError extends FileError {
  constructor(action: string, path: string, cause: unknown) {
    super(action, path, cause, rolloutHint(cause));
    this.name = "RolloutWriteError";
  }
}

export class RolloutRecorder {
  #fd: number | undefined;
  /** An ephemeral session's recorder keeps nothing. */
  readonly #discard: boolean;
  /** Bytes of complete lines in the file: where a failed write is cut back to. */
  #size = 0;
  /** Lines a failed write left unwritten, oldest first. */
  readonly #unwritten: Uint8Array[] = [];
  /** Whether the caller has been told of the current failure (close() does not repeat it). */
  #failureReported = false;

  private constructor(readonly path: string, readonly sessionId: string, fd: number | undefined) {
    this.#fd = fd;
    this.#discard = fd === undefined;
    if (fd !== undefined) this.#size = fstatSync(fd).size;
  }

  /** For a session that is not to be kept (`exec --ephemeral`): every record is dropped. */
  static discarding(sessionId: string): RolloutRecorder {
    return new RolloutRecorder("", sessionId, undefined);
  }

  /** Creates a new rollout file (and its date folders); the caller writes session_meta first. */
  static create(path: string, sessionId: string): RolloutRecorder {
    try {
      mkdirSync(dirname(path), { recursive: true });
    } catch (err) {
      throw new RolloutWriteError("create the sessions folder", dirname(path), err);
    }
    try {
      // Append mode: every write lands at the end, also after a failed one is cut back.
      return new RolloutRecorder(path, sessionId, openSync(path, "ax"));
    } catch (err) {
      throw new RolloutWriteError("create the rollout", path, err);
    }
  }

  /**
   * Opens an existing rollout for appending the turns of a resumed session. `dropTornTail`: the
   * last line is the remains of a write a crash cut short (the reader says so); it is removed
   * rather than left in the middle of the file once more lines follow.
   */
  static append(path: string, sessionId: string, dropTornTail = false): RolloutRecorder {
    let fd: number;
    try {
      fd = openSync(path, "a+");
    } catch (err) {
      throw new RolloutWriteError("open the rollout", path, err);
    }
    const recorder = new RolloutRecorder(path, sessionId, fd);
    try {
      recorder.#endLastLine(dropTornTail);
    } catch (err) {
      closeSync(fd);
      if (err instanceof RolloutWriteError) throw err;
      throw new RolloutWriteError("repair the last line of the rollout", path, err);
    }
    return recorder;
  }

  get closed(): boolean {
    return this.#fd === undefined && !this.#discard;
  }

  /** Lines recorded but not yet in the file, because a write failed. */
  get unwritten(): number {
    return this.#unwritten.length;
  }

  /** Appends one `{"timestamp","type","payload"}` line. */
  record(type: RolloutLineType, payload: unknown): void {
    if (this.#discard) return;
    const line = JSON.stringify({ timestamp: new Date().toISOString(), type, payload });
    if (this.#fd === undefined) throw new Error(`rollout ${this.path} is closed`);
    this.#unwritten.push(new TextEncoder().encode(line + "\n"));
    this.#flush();
  }

  /** History items, one `response_item` line each, in order. */
  recordItems(items: readonly ResponseItem[]): void {
    for (const item of items) this.record("response_item", item);
  }

  /** An `event_msg` line; see lines.ts for the payloads. */
  recordEvent(payload: { type: string }): void {
    this.record("event_msg", payload);
  }

  /** A compaction: the history from here on is `replacementHistory`. */
  recordCompacted(message: string, replacementHistory: readonly ResponseItem[]): void {
    this.record("compacted", { message, replacement_history: replacementHistory });
  }

  /**
   * Writes what is still unwritten, makes the file durable and closes it. Throws a failure the
   * caller has not yet been told of; one already thrown by `record` is not repeated.
   */
  close(): void {
    if (this.#fd === undefined) return;
    const fd = this.#fd;
    let failure: unknown;
    try {
      if (this.#unwritten.length > 0) this.#flush();
      fsyncSync(fd);
    } catch (err) {
      failure = err instanceof RolloutWriteError
        ? err
        : new RolloutWriteError("save the rollout", this.path, err);
    } finally {
      this.#fd = undefined;
      closeSync(fd);
    }
    if (failure && !this.#failureReported) throw failure;
  }

  /** Closes and removes a rollout that never got its first line (a session that cannot start). */
  abandon(): void {
    if (this.#fd === undefined) return;
    closeSync(this.#fd);
    this.#fd = undefined;
    if (this.#size === 0) rmSync(this.path, { force: true });
  }

  /** Writes the unwritten lines in order; on failure cuts the file back to its last whole line. */
  #flush(): void {
    const fd = this.#fd!;
    while (this.#unwritten.length > 0) {
      const bytes = this.#unwritten[0];
      try {
        // One write(2) in the normal case; the loop only matters if the kernel writes part of it.
        for (let done = 0; done < bytes.length;) {
          done += writeSync(fd, bytes, done, bytes.length - done);
        }
      } catch (err) {
        try {
          ftruncateSync(fd, this.#size);
        } catch {
          // The reader treats a cut-short last line as what a crash leaves; nothing is lost.
        }
        this.#failureReported = true;
        throw new RolloutWriteError("write the rollout", this.path, err);
      }
      this.#size += bytes.length;
      this.#unwritten.shift();
      this.#failureReported = false;
    }
  }

  /** Makes sure the next record starts on a line of its own. */
  #endLastLine(dropTornTail: boolean): void {
    const fd = this.#fd!;
    const size = this.#size;
    if (size === 0) return;
    const last = new Uint8Array(1);
    readSync(fd, last, 0, 1, size - 1);
    if (last[0] === 0x0a) return;
    if (!dropTornTail) {
      this.#unwritten.push(new Uint8Array([0x0a]));
      return this.#flush();
    }
    this.#size = lastLineStart(fd, size);
    ftruncateSync(fd, this.#size);
  }
}

/** The offset just after the last newline before `size` (0 when there is none). */
function lastLineStart(fd: number, size: number): number {
  const chunk = new Uint8Array(64 * 1024);
  for (let end = size; end > 0;) {
    const start = Math.max(0, end - chunk.length);
    const read = readSync(fd, chunk, 0, end - start, start);
    const newline = chunk.subarray(0, read).lastIndexOf(0x0a);
    if (newline >= 0) return start + newline + 1;
    end = start;
  }
  return 0;
}
