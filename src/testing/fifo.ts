// Processes observed by events rather than polled: a FIFO the test owns, which a command opens
// for writing when it starts and whose reader sees EOF once every writer has closed it or died.
import { spawnSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { within } from "./deadline.ts";

/** A new FIFO in `dir`. */
export function makeFifo(dir: string, name = "fifo"): string {
  const path = join(dir, name);
  const result = spawnSync("mkfifo", [path]);
  if (result.status !== 0) throw new Error(`mkfifo failed: ${result.stderr}`);
  return path;
}

export interface FifoWatch {
  /** Resolves when a writer has opened the FIFO: the process has started. */
  opened: Promise<void>;
  /** Resolves with everything written once the last writer has closed it (or died). */
  closed: Promise<string>;
}

/** Reads `fifo` from its first writer to its last: a process's life, observed by events. */
export function watchFifo(fifo: string): FifoWatch {
  const file = Deno.open(fifo, { read: true });
  const closed = file.then(async (f) => {
    const decoder = new TextDecoder();
    const buffer = new Uint8Array(4096);
    let text = "";
    for (let n = await f.read(buffer); n !== null; n = await f.read(buffer)) {
      text += decoder.decode(buffer.subarray(0, n), { stream: true });
    }
    f.close();
    return text + decoder.decode();
  });
  return { opened: file.then(() => {}), closed };
}

/**
 * Writes `text` to `fifo` once a reader (the command the test started) has opened it; a command
 * that never does fails the test at the deadline instead of blocking it.
 */
export async function writeFifo(fifo: string, text: string): Promise<void> {
  await within(writeFile(fifo, text), `a reader to open ${fifo}`);
}
