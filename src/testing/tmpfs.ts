// Test support: a small tmpfs of its own, for the disk-full cases. Mounting needs root; without it
// the tests that need one are skipped, with the reason (NO_TMPFS).
import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmdirSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { skipWhen } from "./skip.ts";

/**
 * Whether the disk-full tests are skipped here (for `ignore:`): mounting a tmpfs needs root. Said
 * once, with the reason, through skipWhen.
 */
export const NO_TMPFS = skipWhen(
  "the disk-full tests (they mount a small tmpfs)",
  process.getuid?.() !== 0 && "mounting a tmpfs needs root",
  false,
);

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { encoding: "utf8", timeout: 10_000 });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(" ")} failed: ${result.stderr || result.error}`);
  }
}

/** Runs `fn` with a fresh tmpfs of `sizeKiB` mounted on a new folder; unmounts it afterwards. */
export async function withTmpfs<T>(sizeKiB: number, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "tscodex-tmpfs-"));
  run("mount", ["-t", "tmpfs", "-o", `size=${sizeKiB}k,mode=0755`, "tmpfs", dir]);
  try {
    return await fn(dir);
  } finally {
    // Lazy: a process the test left behind must not keep the mount (or the test) alive.
    run("umount", ["-l", dir]);
    rmdirSync(dir);
  }
}

/**
 * Writes zeros to `file` until the file system is full; returns the bytes written. Files already
 * there keep the free end of their last page (tmpfs allocates pages): a write that needs a page
 * more fails.
 */
export function fillDisk(file: string): number {
  const fd = openSync(file, "w");
  const chunk = new Uint8Array(4096);
  let written = 0;
  try {
    for (;;) written += writeSync(fd, chunk);
  } catch (err) {
    if ((err as { code?: string }).code !== "ENOSPC") throw err;
  } finally {
    closeSync(fd);
  }
  return written;
}
