// The rollout recorder: one JSON line per record, appended with a single write the moment the
// record exists, so a killed process loses at most the line it was writing.
//
// Writes are synchronous on purpose. A line is in the kernel when `append` returns, so it survives
// SIGKILL, and records can never reorder or pile up in a queue the crash would drop. No fsync per
// line: it protects only against power loss, at milliseconds per call on real disks (a turn writes
// dozens of lines); `close()` fsyncs once so a finished session is durable.
import { closeSync, fstatSync, fsyncSync, mkdirSync, openSync, readSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import type { ResponseItem } from "../protocol/mod.ts";
import type { RolloutLineType } from "./schema.ts";

export class RolloutRecorder {
  #fd: number | undefined;
  /** An ephemeral session's recorder keeps nothing. */
  readonly #discard: boolean;

  private constructor(readonly path: string, readonly sessionId: string, fd: number | undefined) {
    this.#fd = fd;
    this.#discard = fd === undefined;
  }

  /** For a session that is not to be kept (`exec --ephemeral`): every record is dropped. */
  static discarding(sessionId: string): RolloutRecorder {
    return new RolloutRecorder("", sessionId, undefined);
  }

  /** Creates a new rollout file (and its date folders); the caller writes session_meta first. */
  static create(path: string, sessionId: string): RolloutRecorder {
    mkdirSync(dirname(path), { recursive: true });
    return new RolloutRecorder(path, sessionId, openSync(path, "wx"));
  }

  /** Opens an existing rollout for appending the turns of a resumed session. */
  static append(path: string, sessionId: string): RolloutRecorder {
    const fd = openSync(path, "a+");
    const recorder = new RolloutRecorder(path, sessionId, fd);
    // A crash can leave a partial last line; end it so the next record starts on its own line.
    if (!endsWithNewline(fd)) recorder.#write("\n");
    return recorder;
  }

  get closed(): boolean {
    return this.#fd === undefined && !this.#discard;
  }

  /** Appends one `{"timestamp","type","payload"}` line. */
  record(type: RolloutLineType, payload: unknown): void {
    const line = JSON.stringify({ timestamp: new Date().toISOString(), type, payload });
    this.#write(line + "\n");
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

  close(): void {
    if (this.#fd === undefined) return;
    const fd = this.#fd;
    this.#fd = undefined;
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  #write(text: string): void {
    if (this.#discard) return;
    if (this.#fd === undefined) throw new Error(`rollout ${this.path} is closed`);
    const bytes = new TextEncoder().encode(text);
    // One write(2) in the normal case; the loop only matters if the kernel writes part of it.
    for (let done = 0; done < bytes.length;) {
      done += writeSync(this.#fd, bytes, done, bytes.length - done);
    }
  }
}

function endsWithNewline(fd: number): boolean {
  const size = fstatSync(fd).size;
  if (size === 0) return true;
  const last = new Uint8Array(1);
  readSync(fd, last, 0, 1, size - 1);
  return last[0] === 0x0a;
}
