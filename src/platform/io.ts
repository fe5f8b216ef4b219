// File-system failures as people read them: what was being done, to which file, why (in words,
// not an errno), and what to do about it — on one line, never a stack trace. Deno, Bun and Node
// all set the POSIX `code` on their `node:fs` errors, so the cause is read from it, not from
// runtime-specific message text.

const CAUSES: Record<string, string> = {
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  EROFS: "read-only file system",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOENT: "no such file or directory",
  ENOTDIR: "a part of the path is not a folder",
  EISDIR: "it is a folder",
  EEXIST: "it already exists",
  EIO: "input/output error",
  EMFILE: "too many open files",
  ENFILE: "too many open files in the system",
  EFBIG: "file too large",
  ENAMETOOLONG: "file name too long",
  ELOOP: "too many symbolic links",
};

const HINTS: Record<string, string> = {
  ENOSPC: "free some space on that disk",
  EDQUOT: "free some space or raise the quota",
  EROFS: "use a folder on a writable file system",
  EACCES: "check the permissions of the file and its folders",
  EPERM: "check the permissions of the file and its folders",
  ENOTDIR: "check the path",
  ENOENT: "check the path",
};

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown })?.code;
  return typeof code === "string" ? code : undefined;
}

/** `no space left on device (ENOSPC)`: the cause of an I/O error in words, with its code. */
export function ioCause(err: unknown): string {
  const code = codeOf(err);
  if (code && CAUSES[code]) return `${CAUSES[code]} (${code})`;
  // Node spells "ENOENT: no such file …, open '/x'"; Deno "No such file … (os error 2)".
  const message = String((err as Error)?.message ?? err)
    .replace(/^[A-Z0-9_]+: /, "").replace(/, \w+ '[^']*'(?: -> '[^']*')?$/, "")
    .replace(/ \(os error \d+\)$/, "").trim();
  const text = message.charAt(0).toLowerCase() + message.slice(1);
  return code ? `${text} (${code})` : text;
}

/** What to do about an I/O error with this cause, when there is a general answer. */
export function ioHint(err: unknown): string | undefined {
  const code = codeOf(err);
  return code ? HINTS[code] : undefined;
}

/**
 * An I/O failure on a named file: `cannot <action> <path>: <cause>`, then what to do. `hint` is
 * the caller's advice for this file; the cause's general advice is used without one.
 */
export class FileError extends Error {
  readonly code: string | undefined;

  constructor(
    readonly action: string,
    readonly path: string,
    cause: unknown,
    hint?: string,
  ) {
    const advice = hint ?? ioHint(cause);
    super(`cannot ${action} ${path}: ${ioCause(cause)}${advice ? `; ${advice}` : ""}`, { cause });
    this.name = "FileError";
    this.code = codeOf(cause);
  }
}
