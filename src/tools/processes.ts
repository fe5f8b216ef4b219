// Long-lived command sessions behind exec_command / write_stdin: spawn through the user's shell,
// buffer unread output (head and tail kept past a cap), poll with a yield time, kill the whole
// process group on interrupt and at exit.
import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";

/** Unread output kept per session; past it the middle is dropped, head and tail kept. */
export const UNREAD_CAP_BYTES = 1024 * 1024;

export interface StartOptions {
  command: string;
  shell: string;
  login: boolean;
  cwd: string;
  env?: Record<string, string>;
}

export interface Collected {
  output: string;
  exitCode: number | null;
  running: boolean;
  wallMs: number;
}

class OutputBuffer {
  #head: Uint8Array[] = [];
  #headBytes = 0;
  #tail: Uint8Array[] = [];
  #tailBytes = 0;
  #dropped = 0;
  #waiters: Array<() => void> = [];

  push(chunk: Uint8Array): void {
    const half = UNREAD_CAP_BYTES / 2;
    if (this.#headBytes < half) {
      const take = chunk.subarray(0, half - this.#headBytes);
      this.#head.push(take);
      this.#headBytes += take.length;
      chunk = chunk.subarray(take.length);
    }
    if (chunk.length > 0) {
      this.#tail.push(chunk);
      this.#tailBytes += chunk.length;
      while (this.#tailBytes > half && this.#tail.length > 0) {
        const excess = this.#tailBytes - half;
        const first = this.#tail[0];
        if (first.length <= excess) {
          this.#tail.shift();
          this.#tailBytes -= first.length;
          this.#dropped += first.length;
        } else {
          this.#tail[0] = first.subarray(excess);
          this.#tailBytes -= excess;
          this.#dropped += excess;
        }
      }
    }
    for (const wake of this.#waiters.splice(0)) wake();
  }

  get size(): number {
    return this.#headBytes + this.#tailBytes;
  }

  /** Resolves at the next chunk. */
  next(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  drain(): string {
    const decoder = new TextDecoder();
    let text = this.#head.map((c) => decoder.decode(c, { stream: true })).join("");
    if (this.#dropped > 0) text += `\n…${this.#dropped} bytes of output dropped…\n`;
    text += this.#tail.map((c) => decoder.decode(c, { stream: true })).join("") + decoder.decode();
    this.#head = [];
    this.#tail = [];
    this.#headBytes = this.#tailBytes = this.#dropped = 0;
    return text;
  }
}

export class ExecSession {
  readonly #buffer = new OutputBuffer();
  readonly closed: Promise<number | null>;
  exitCode: number | null = null;
  done = false;

  constructor(readonly id: number, readonly child: ChildProcess, readonly command: string) {
    child.stdout?.on("data", (chunk: Uint8Array) => this.#buffer.push(chunk));
    child.stderr?.on("data", (chunk: Uint8Array) => this.#buffer.push(chunk));
    this.closed = new Promise((resolve) => {
      child.on("error", (err) => {
        this.#buffer.push(new TextEncoder().encode(`failed to start: ${err.message}\n`));
        this.exitCode = 127;
        this.done = true;
        resolve(127);
      });
      child.on("close", (code, signal) => {
        this.exitCode = code ?? (signal ? 128 + (signalNumber(signal) ?? 0) : null);
        this.done = true;
        resolve(this.exitCode);
      });
    });
  }

  write(chars: string): void {
    this.child.stdin?.write(chars);
  }

  /** Waits until the process ends or `yieldMs` passes (or the signal fires), then drains output. */
  async collect(yieldMs: number, signal?: AbortSignal): Promise<Collected> {
    const started = performance.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, yieldMs);
      signal?.addEventListener("abort", () => resolve(), { once: true });
    });
    await Promise.race([this.closed, deadline]);
    clearTimeout(timer);
    return {
      output: this.#buffer.drain(),
      exitCode: this.exitCode,
      running: !this.done,
      wallMs: performance.now() - started,
    };
  }

  kill(): void {
    if (this.done || this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, "SIGKILL");
    } catch {
      this.child.kill("SIGKILL");
    }
  }
}

function signalNumber(name: string): number | undefined {
  const numbers: Record<string, number> = {
    SIGHUP: 1,
    SIGINT: 2,
    SIGQUIT: 3,
    SIGKILL: 9,
    SIGTERM: 15,
  };
  return numbers[name];
}

export class ProcessManager {
  readonly #sessions = new Map<number, ExecSession>();
  #nextId = 1000;

  constructor() {
    process.once("exit", () => this.killAll());
  }

  start(options: StartOptions): ExecSession {
    const child = spawn(options.shell, [options.login ? "-lc" : "-c", options.command], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
      detached: true,
    });
    const session = new ExecSession(this.#nextId++, child, options.command);
    this.#sessions.set(session.id, session);
    return session;
  }

  get(id: number): ExecSession | undefined {
    return this.#sessions.get(id);
  }

  /** Forgets a session whose process has ended and whose output has been read. */
  release(session: ExecSession): void {
    if (session.done) this.#sessions.delete(session.id);
  }

  killAll(): void {
    for (const session of this.#sessions.values()) session.kill();
    this.#sessions.clear();
  }
}
