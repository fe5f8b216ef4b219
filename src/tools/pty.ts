// Pseudo-terminals for `exec_command {tty: true}`, without native code.
//
// Why util-linux `script`: the binary is built with `bun build --compile` and the tests run under
// Deno, so a PTY package with a native addon (node-pty and friends) would have to load in both
// runtimes and be embedded in the single binary. `script -qec CMD /dev/null` allocates a real
// PTY pair, makes CMD a session leader with the slave as its controlling terminal (so isatty is
// true, the line discipline echoes input, ^C becomes SIGINT) and relays the master over plain
// pipes, which node:child_process handles everywhere. `-q` keeps its banner out of the output,
// `-e` returns the child's exit status (128+N when a signal killed it), `-f` flushes each write,
// and /dev/null discards its typescript log. It ships with util-linux (Debian's bsdutils is
// essential), so it is present wherever tscodex targets.
import { accessSync, constants, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import process from "node:process";
import { shellJoin, shellQuote } from "./shell_words.ts";

/** The terminal size upstream opens its PTYs with; `script` would otherwise report 0x0. */
export const PTY_ROWS = 24;
export const PTY_COLUMNS = 80;

let scriptPath: string | null | undefined;

/** Where util-linux `script` lives on PATH, or null when it is missing. */
export function findScript(): string | null {
  if (scriptPath !== undefined) return scriptPath;
  scriptPath = null;
  if (process.platform !== "linux") return scriptPath;
  for (const dir of (process.env.PATH ?? "/usr/bin:/bin").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, "script");
    if (isExecutable(candidate)) return (scriptPath = candidate);
  }
  return scriptPath;
}

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface Launch {
  file: string;
  args: string[];
  env: Record<string, string | undefined>;
}

/**
 * How to start `argv` on a fresh PTY: `script` runs its -c string with $SHELL, so it gets a
 * POSIX sh that sizes the terminal, restores the caller's SHELL and execs the real command.
 */
export function ptyLaunch(
  script: string,
  argv: string[],
  env: Record<string, string | undefined>,
): Launch {
  const restoreShell = env.SHELL === undefined
    ? "unset SHELL"
    : `SHELL=${shellQuote(env.SHELL)}; export SHELL`;
  const inner = `stty rows ${PTY_ROWS} cols ${PTY_COLUMNS} 2>/dev/null; ${restoreShell}; ` +
    `exec ${shellJoin(argv)}`;
  return { file: script, args: ["-qfec", inner, "/dev/null"], env: { ...env, SHELL: "/bin/sh" } };
}

/**
 * The process group `script` put the command in. The command is a session leader on the PTY,
 * outside the group of `script` itself, so killing the command's tree needs both groups.
 */
export function ptyCommandGroup(scriptPid: number): number | undefined {
  try {
    const children = readFileSync(`/proc/${scriptPid}/task/${scriptPid}/children`, "utf8");
    const first = Number.parseInt(children.trim().split(/\s+/)[0], 10);
    return Number.isFinite(first) ? first : undefined;
  } catch {
    return undefined;
  }
}
