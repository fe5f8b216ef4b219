// File-system errors worded the way upstream Codex reports them to the model (Rust's io::Error
// display, e.g. `No such file or directory (os error 2)`), so error outputs read the same.

const DESCRIPTIONS: Record<string, [string, number]> = {
  EPERM: ["Operation not permitted", 1],
  ENOENT: ["No such file or directory", 2],
  EIO: ["Input/output error", 5],
  EBADF: ["Bad file descriptor", 9],
  EACCES: ["Permission denied", 13],
  EBUSY: ["Device or resource busy", 16],
  EEXIST: ["File exists", 17],
  EXDEV: ["Invalid cross-device link", 18],
  ENOTDIR: ["Not a directory", 20],
  EISDIR: ["Is a directory", 21],
  EINVAL: ["Invalid argument", 22],
  EMFILE: ["Too many open files", 24],
  EFBIG: ["File too large", 27],
  ENOSPC: ["No space left on device", 28],
  EROFS: ["Read-only file system", 30],
  ENAMETOOLONG: ["File name too long", 36],
  ENOTEMPTY: ["Directory not empty", 39],
  ELOOP: ["Too many levels of symbolic links", 40],
};

/** `No such file or directory (os error 2)` for an ENOENT error; the message otherwise. */
export function describeFsError(err: unknown): string {
  const code = (err as { code?: unknown })?.code;
  const known = typeof code === "string" ? DESCRIPTIONS[code] : undefined;
  if (known) return `${known[0]} (os error ${known[1]})`;
  return err instanceof Error ? err.message : String(err);
}
