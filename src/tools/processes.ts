// The processes behind exec_command / write_stdin and shell / shell_command: spawned in their own
// process group (on a PTY when asked), output buffered with a cap that keeps head and tail, read
// with upstream's collection rules, and killed as a group on interrupt and at exit.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, realpathSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import type { ShellEnvironmentPolicy } from "../config/mod.ts";
import { commandEnvironment } from "./environment.ts";
import { describeFsError } from "./fs_errors.ts";
import { findScript, isExecutable, type Launch, ptyCommandGroup, ptyLaunch } from "./pty.ts";
import { sandboxedArgv, type SandboxScope } from "./sandbox.ts";

/** Unread output kept per process; past it the middle is dropped, head and tail kept. */
export const UNREAD_CAP_BYTES = 1024 * 1024;

/** Sessions kept at once by default; the next start prunes one (upstream's limit). */
export const MAX_SESSIONS = 64;
/** The most recently used sessions are never pruned. */
const PROTECTED_RECENT_SESSIONS = 8;

/** After the process exits, how long to wait for output still in flight in the pipes. */
const POST_EXIT_OUTPUT_WAIT_MS = 50;

/**
 * What unified exec adds to the environment, as upstream 0.115.0 does (observed with `env`):
 * no colours or pagers that would block on a pipe, a UTF-8 locale, and a marker for scripts.
 */
export const EXEC_ENV: Record<string, string> = {
  NO_COLOR: "1",
  LANG: "C.UTF-8",
  LC_CTYPE: "C.UTF-8",
  LC_ALL: "C.UTF-8",
  COLORTERM: "",
  PAGER: "cat",
  GIT_PAGER: "cat",
  GH_PAGER: "cat",
  CODEX_CI: "1",
};

/** The shell a command runs with: the one asked for if it exists, else like upstream /bin/sh. */
export function resolveShell(requested?: string): string {
  const shell = requested ?? defaultShell();
  return isExecutable(shell) ? shell : "/bin/sh";
}

export function defaultShell(): string {
  return process.env.SHELL || "/bin/bash";
}

/** The argv of a command run through `shell`: `-lc` for a login shell, else `-c`. */
export function shellArgv(shell: string, login: boolean, command: string): string[] {
  return [shell, login ? "-lc" : "-c", command];
}

/** Rust's `io::ErrorKind` names for the errors a spawn can meet; upstream prints them. */
const ERROR_KINDS: Record<string, string> = {
  ENOENT: "NotFound",
  EACCES: "PermissionDenied",
  ENOTDIR: "NotADirectory",
};

/** An errno name as Rust reports it: `{ errno: 2, kind: "NotFound", text: "No such file…" }`. */
export function osError(code: string): { errno: number; kind: string; text: string } {
  const described = describeFsError({ code });
  const match = /^(.*) \(os error (\d+)\)$/.exec(described);
  return {
    errno: match ? Number(match[2]) : 0,
    kind: ERROR_KINDS[code] ?? "Uncategorized",
    text: match ? match[1] : described,
  };
}

/** Why `dir` cannot be a working directory (as an errno name), or undefined when it can. */
export function workdirProblem(dir: string): string | undefined {
  try {
    return statSync(dir).isDirectory() ? undefined : "ENOTDIR";
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? "ENOENT";
  }
}

/** Output bytes not yet read: the first half of the cap, then a rolling tail of the rest. */
export class OutputBuffer {
  #head: Uint8Array[] = [];
  #headBytes = 0;
  #tail: Uint8Array[] = [];
  #tailBytes = 0;
  readonly #half: number;

  constructor(capBytes = UNREAD_CAP_BYTES) {
    this.#half = Math.floor(capBytes / 2);
  }

  push(chunk: Uint8Array): void {
    if (this.#headBytes < this.#half) {
      const take = chunk.subarray(0, this.#half - this.#headBytes);
      this.#head.push(take);
      this.#headBytes += take.length;
      chunk = chunk.subarray(take.length);
    }
    if (chunk.length === 0) return;
    this.#tail.push(chunk);
    this.#tailBytes += chunk.length;
    while (this.#tailBytes > this.#half) {
      const excess = this.#tailBytes - this.#half;
      const first = this.#tail[0];
      if (first.length <= excess) {
        this.#tail.shift();
        this.#tailBytes -= first.length;
      } else {
        this.#tail[0] = first.subarray(excess);
        this.#tailBytes -= excess;
      }
    }
  }

  get size(): number {
    return this.#headBytes + this.#tailBytes;
  }

  /** Everything kept, head then tail. Like upstream, no marker where the middle was dropped. */
  drain(): Uint8Array[] {
    const chunks = [...this.#head, ...this.#tail];
    this.#head = [];
    this.#tail = [];
    this.#headBytes = this.#tailBytes = 0;
    return chunks;
  }
}

export function concatBytes(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

export interface SpawnOptions {
  argv: string[];
  cwd: string;
  env: Record<string, string | undefined>;
  tty: boolean;
  /**
   * Run inside this sandbox (bwrap outside, the PTY's `script` inside it); absent runs as is.
   * Its writable roots come from the scope's workspace, never from `cwd`.
   */
  sandbox?: SandboxScope;
  /** In a read-only sandbox, the one writable directory, given to the command as $TMPDIR. */
  scratch?: string;
}

/** The message when a PTY was asked for and this machine cannot make one. */
const NO_PTY_MESSAGE = "tty=true needs util-linux `script` on PATH (Linux only)";

/** One spawned process: its output buffer, its exit, and how to stop its whole tree. */
export class ManagedProcess {
  readonly #buffer = new OutputBuffer();
  readonly #wakers = new Set<() => void>();
  readonly child: ChildProcess;
  readonly tty: boolean;
  /** The argv as asked for (before any sandbox or terminal wrapper), and where it runs. */
  readonly command: string[];
  readonly cwd: string;
  readonly exited: Promise<void>;
  /** Resolves once the process has exited and every holder of its output pipes let go. */
  readonly closed: Promise<void>;
  /** Resolves true once the process is running, false if it could not be started. */
  readonly spawned: Promise<boolean>;
  /** Exit status once known; -1 when a signal ended a pipe-mode process. */
  exitCode: number | null = null;
  /** The signal that ended it, if one did. */
  exitSignal: NodeJS.Signals | null = null;
  /** `performance.now()` just before the spawn: the process cannot have started earlier. */
  readonly startedAt: number;
  /** Spawning failed (program or directory missing); the error that said so. */
  failure: NodeJS.ErrnoException | undefined;
  outputClosed = false;

  constructor(options: SpawnOptions) {
    this.tty = options.tty;
    this.command = options.argv;
    this.cwd = options.cwd;
    let launch: Launch = { file: options.argv[0], args: options.argv.slice(1), env: options.env };
    if (options.tty) {
      const script = findScript();
      if (!script) throw new Error(NO_PTY_MESSAGE);
      launch = ptyLaunch(script, options.argv, options.env);
    }
    // Throws when the sandbox cannot be set up, so a restricted command never runs without it.
    const argv = sandboxedArgv(
      [launch.file, ...launch.args],
      options.sandbox,
      options.cwd,
      options.scratch,
    );
    launch = { file: argv[0], args: argv.slice(1), env: launch.env };
    this.startedAt = performance.now();
    // detached: a new session and process group, so one kill(-pgid) reaches every descendant
    // that stayed in it, and the agent's terminal signals never reach the command.
    this.child = spawn(launch.file, launch.args, {
      cwd: options.cwd,
      env: launch.env as Record<string, string>,
      stdio: [options.tty ? "pipe" : "ignore", "pipe", "pipe"],
      detached: true,
    });
    const onData = (chunk: Uint8Array) => {
      this.#buffer.push(chunk);
      this.#wake();
    };
    this.child.stdout?.on("data", onData);
    this.child.stderr?.on("data", onData);
    // A PTY whose reader is gone reports EPIPE on write; the exit that follows says the rest.
    this.child.stdin?.on("error", () => {});
    let markExited!: () => void;
    let markClosed!: () => void;
    let markSpawned!: (ok: boolean) => void;
    this.spawned = new Promise((resolve) => (markSpawned = resolve));
    this.child.once("spawn", () => markSpawned(true));
    this.exited = new Promise((resolve) => (markExited = resolve));
    this.closed = new Promise((resolve) => (markClosed = resolve));
    const onClosed = () => {
      this.outputClosed = true;
      markClosed();
      this.#wake();
    };
    this.child.once("exit", (code, signal) => {
      this.exitCode = code ?? -1;
      this.exitSignal = signal;
      markExited();
      this.#wake();
    });
    this.child.once("close", onClosed);
    this.child.once("error", (err: NodeJS.ErrnoException) => {
      markSpawned(false);
      this.failure = err;
      this.exitCode = -1;
      markExited();
      onClosed();
    });
  }

  get hasExited(): boolean {
    return this.exitCode !== null;
  }

  write(chars: string): void {
    this.child.stdin?.write(chars);
  }

  /** Waits for the process to exit, at most `ms`, or until the signal fires. */
  async settle(ms: number, signal?: AbortSignal): Promise<void> {
    const deadline = performance.now() + ms;
    while (!this.hasExited && !signal?.aborted && performance.now() < deadline) {
      await this.#changed(deadline, signal);
    }
  }

  /**
   * Reads output until the process has exited and its pipes closed, or `deadline` passes, or
   * the signal fires. Upstream's rules: keep draining while output flows, and after the exit
   * give late output (a background child may still hold the pipe) a grace period.
   */
  async collect(
    deadline: number,
    signal?: AbortSignal,
    graceMs = POST_EXIT_OUTPUT_WAIT_MS,
  ): Promise<Uint8Array> {
    const chunks: Uint8Array[] = [];
    let graceUntil: number | undefined;
    for (;;) {
      chunks.push(...this.#buffer.drain());
      if (signal?.aborted || (this.hasExited && this.outputClosed)) break;
      const now = performance.now();
      if (now >= deadline) break;
      let until = deadline;
      if (this.hasExited) {
        graceUntil ??= now + Math.min(deadline - now, graceMs);
        if (now >= graceUntil) break;
        until = graceUntil;
      }
      await this.#changed(until, signal);
    }
    return concatBytes(chunks);
  }

  /**
   * SIGKILL to the process group (and, on a PTY, to the command's own group under `script`).
   * Still sent after the exit while the pipes are open: whoever holds them is in the group.
   */
  kill(): void {
    const pid = this.child.pid;
    if (pid === undefined || (this.hasExited && this.outputClosed)) return;
    const groups = [pid];
    if (this.tty) {
      const commandGroup = ptyCommandGroup(pid);
      if (commandGroup !== undefined) groups.unshift(commandGroup);
    }
    for (const group of groups) {
      try {
        process.kill(-group, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
  }

  #wake(): void {
    for (const wake of this.#wakers) wake();
  }

  /** Resolves at the next output, exit or pipe close, at `until`, or when the signal fires. */
  #changed(until: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wakers.delete(done);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, until - performance.now()));
      this.#wakers.add(done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }
}

/** A process kept between calls, addressed by the model through its session id. */
export class ExecSession extends ManagedProcess {
  /** When the model last started or addressed it, on the manager's use counter. */
  lastUsed = 0;

  constructor(readonly id: number, options: SpawnOptions) {
    super(options);
  }
}

/** Managers with processes that may still run; the exit hook kills theirs. */
const liveManagers = new Set<ProcessManager>();
let exitHookInstalled = false;

function track(manager: ProcessManager): void {
  liveManagers.add(manager);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const live of liveManagers) live.killAll();
  });
}

export interface ProcessManagerOptions {
  /** Variables added to every command's environment (e.g. CODEX_THREAD_ID). */
  env?: Record<string, string>;
  /** What commands see of tscodex's own environment; all of it by default, as upstream's. */
  shellEnvironment?: ShellEnvironmentPolicy;
  /** Sessions kept at once; upstream's 64 by default. */
  maxSessions?: number;
}

/** The live processes of one agent session; all of them die with it. */
export class ProcessManager {
  readonly #sessions = new Map<number, ExecSession>();
  readonly #oneShots = new Set<ManagedProcess>();
  readonly #env: Record<string, string>;
  readonly #policy: ShellEnvironmentPolicy | undefined;
  readonly #maxSessions: number;
  #uses = 0;
  #scratch: string | undefined;

  constructor(options: ProcessManagerOptions = {}) {
    this.#env = options.env ?? {};
    this.#policy = options.shellEnvironment;
    this.#maxSessions = options.maxSessions ?? MAX_SESSIONS;
  }

  /**
   * The environment a command (or code cell) sees: ours as the shell environment policy lets
   * it through, the session's additions, then `extra` on top — read at each start, so a variable
   * set since is seen, and one the policy excludes never is.
   */
  environment(extra: Record<string, string> = {}): Record<string, string | undefined> {
    const own = this.#policy ? commandEnvironment(this.#policy, process.env) : process.env;
    return { ...own, ...this.#env, ...extra };
  }

  /**
   * read-only sandboxes get one scratch directory per manager, so files pass from one command to
   * the next; it goes when the manager's processes do.
   */
  #withScratch(options: SpawnOptions): SpawnOptions {
    if (options.sandbox?.policy.mode !== "read-only" || options.scratch) return options;
    this.#scratch ??= realpathSync(mkdtempSync(join(tmpdir(), "tscodex-scratch-")));
    return { ...options, scratch: this.#scratch };
  }

  /** Starts a session the model can come back to; prunes one when the table is full. */
  start(options: SpawnOptions): ExecSession {
    if (this.#sessions.size >= this.#maxSessions) this.#prune();
    track(this);
    const session = new ExecSession(this.#freshId(), this.#withScratch(options));
    session.lastUsed = ++this.#uses;
    this.#sessions.set(session.id, session);
    return session;
  }

  /** Runs a process that lives for one call only, still killed if the agent exits first. */
  spawnOnce(options: SpawnOptions): ManagedProcess {
    track(this);
    const proc = new ManagedProcess(this.#withScratch(options));
    this.#oneShots.add(proc);
    proc.exited.then(() => this.#oneShots.delete(proc));
    return proc;
  }

  get(id: number): ExecSession | undefined {
    const session = this.#sessions.get(id);
    if (session) session.lastUsed = ++this.#uses;
    return session;
  }

  /** Forgets a session whose process has exited; its id is then unknown to write_stdin. */
  release(session: ExecSession): void {
    if (session.hasExited) this.#sessions.delete(session.id);
  }

  get size(): number {
    return this.#sessions.size;
  }

  killAll(): void {
    for (const session of this.#sessions.values()) session.kill();
    for (const proc of this.#oneShots) proc.kill();
    this.#sessions.clear();
    this.#oneShots.clear();
    liveManagers.delete(this);
    // Best effort: a command killed a moment ago may still be writing into it.
    if (this.#scratch) rmSync(this.#scratch, { recursive: true, force: true, maxRetries: 3 });
    this.#scratch = undefined;
  }

  /** Random ids in upstream's range, so the model never learns to guess a sequence. */
  #freshId(): number {
    for (;;) {
      const id = 1000 + Math.floor(Math.random() * 99_000);
      if (!this.#sessions.has(id)) return id;
    }
  }

  /**
   * Upstream's policy: spare the most recently used few; of the rest, drop the least recently used
   * one that has exited, else the least recently used.
   */
  #prune(): void {
    const byRecency = [...this.#sessions.values()].sort((a, b) => b.lastUsed - a.lastUsed);
    const leastRecentFirst = byRecency.slice(PROTECTED_RECENT_SESSIONS).reverse();
    const victim = leastRecentFirst.find((s) => s.hasExited) ?? leastRecentFirst[0];
    if (!victim) return;
    victim.kill();
    this.#sessions.delete(victim.id);
  }
}
