// Reading a file a model named. The path may be anything the model could make with one command: a
// FIFO nobody writes to (a plain read would wait forever, and no interrupt could end the call) or a
// link to /dev/zero (read without end). Only regular files and folders get as far as a read.
import { constants } from "node:fs";
import { open } from "node:fs/promises";

/** The bytes of the regular file at `path`; anything else is refused with an error saying so. */
export async function readRegularFile(path: string): Promise<Uint8Array> {
  // Non-blocking, so opening a FIFO does not wait for a writer; it changes nothing for files.
  const file = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const info = await file.stat();
    // A folder fails the read with its own error (EISDIR), worded as the tools word it.
    if (!info.isFile() && !info.isDirectory()) {
      throw new Error(`\`${path}\` is not a regular file`);
    }
    return await file.readFile();
  } finally {
    await file.close();
  }
}
