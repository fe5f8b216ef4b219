// A real terminal for tests of the interactive CLI: tmux runs the program on a pseudo-terminal,
// send-keys types, capture-pane reads the screen. Waits poll the screen, each with a deadline.
import { execFileSync, spawnSync } from "node:child_process";
import process from "node:process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { skipWhen, until } from "../testing/mod.ts";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const DENO = join(ROOT, "node_modules", ".bin", "deno");
/** How a terminal test starts tscodex: the compiled binary in $TSCODEX_BINARY, else main.ts. */
export const TSCODEX = process.env.TSCODEX_BINARY ?? `${DENO} run -A ${ROOT}/main.ts`;
const haveTmux = spawnSync("tmux", ["-V"]).status === 0;

/** True (after saying why) when tmux is missing: for `ignore:` of the tests that drive a terminal. */
export function tmuxMissing(what: string): boolean {
  return skipWhen(what, !haveTmux && "tmux is not installed (apt-get install tmux)");
}

/** A tmux session on a server of the test's own (its socket in the test's folder). */
export class Terminal {
  private constructor(readonly socket: string) {}

  static start(socket: string, command: string): Terminal {
    const term = new Terminal(socket);
    term.#tmux("new-session", "-d", "-s", "repl", "-x", "160", "-y", "60", command);
    return term;
  }

  #tmux(...args: string[]): string {
    return execFileSync("tmux", ["-S", this.socket, ...args], { encoding: "utf8" });
  }

  screen(): string {
    return this.#tmux("capture-pane", "-p", "-S", "-200", "-t", "repl");
  }

  /** The screen without trailing blanks on each line and without the empty lines at its end. */
  shown(): string {
    return this.screen().split("\n").map((line) => line.trimEnd()).join("\n").trimEnd();
  }

  /** Types `text` without pressing Enter. */
  send(text: string): void {
    this.#tmux("send-keys", "-t", "repl", "-l", text);
  }

  type(text: string): void {
    this.#tmux("send-keys", "-t", "repl", "-l", text);
    this.#tmux("send-keys", "-t", "repl", "Enter");
  }

  key(key: string): void {
    this.#tmux("send-keys", "-t", "repl", key);
  }

  /** Waits until the screen matches; the screen is the only thing a person could watch. */
  waitFor(pattern: RegExp): Promise<string> {
    return this.#waitUntil(pattern, () => this.screen());
  }

  /** Waits until the screen as `shown()` trims it matches (`$` is then its last line's end). */
  waitForShown(pattern: RegExp): Promise<string> {
    return this.#waitUntil(pattern, () => this.shown());
  }

  async #waitUntil(pattern: RegExp, read: () => string): Promise<string> {
    await until(() => pattern.test(read()), `the screen to match ${pattern}`, { detail: read });
    return read();
  }

  alive(): boolean {
    return spawnSync("tmux", ["-S", this.socket, "has-session", "-t", "repl"]).status === 0;
  }

  /** Waits for the program in the terminal to end. */
  async exited(): Promise<void> {
    await until(() => !this.alive(), "the REPL to exit", { detail: () => this.screen() });
  }

  kill(): void {
    spawnSync("tmux", ["-S", this.socket, "kill-server"]);
  }
}
