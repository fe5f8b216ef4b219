// Interactive runs: the program runs in a tmux session of a fixed size and a script of steps types
// into it, waits for the fake server's requests or the rollout's finished turns, and quits. The
// same steps drive upstream's TUI and tscodex's REPL; where the two need different keystrokes for
// one intent (being ready for input, answering a question, interrupting, quitting), a profile per
// program maps
// the intent to its keystrokes. Screens are never compared: only what the program sends and writes.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";

/** tmux key names (`Enter`, `Escape`, `Tab`, `BTab`, `Up`, `C-c`, a digit, …). */
const KeyName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]*$/, "a tmux key name such as Enter");

export const TtyStep = z.union([
  /** Types the text as it is (no key names), like a paste of a few characters. */
  z.strictObject({ text: z.string().min(1) }),
  /** Presses one key. */
  z.strictObject({ key: KeyName }),
  /**
   * Waits until the fake server's main script has answered this many requests since the run
   * started (requests a route takes do not count).
   */
  z.strictObject({ wait_requests: z.number().int().min(1) }),
  /** Waits until the rollouts record this many finished turns (`task_complete`). */
  z.strictObject({ wait_turns: z.number().int().min(1) }),
  /** Waits until the rollouts record this many interrupted turns (`turn_aborted`). */
  z.strictObject({ wait_aborted: z.number().int().min(1) }),
  /** Waits until the program shows its input prompt (the program's own notion of ready). */
  z.strictObject({ wait: z.literal("ready") }),
  /** Waits for the program's question and picks its option number N (1-based). */
  z.strictObject({ answer: z.number().int().min(1) }),
  /** Waits until the screen matches this regular expression (program-specific: use sparingly). */
  z.strictObject({ wait_screen: z.string().min(1) }),
  /**
   * Waits until this file exists, relative to the work dir: a command the model runs can say it
   * has started by creating one (`touch started; sleep 30`).
   */
  z.strictObject({ wait_file: z.string().min(1) }),
  /** Interrupts the running turn the program's own way. */
  z.strictObject({ interrupt: z.literal(true) }),
]);
export type TtyStep = z.infer<typeof TtyStep>;

export const TtyScript = z.strictObject({
  /** What happens in order; a quit (the program's own quit command) always follows the last. */
  steps: z.array(TtyStep).min(1),
});
export type TtyScript = z.infer<typeof TtyScript>;

/** A keystroke: text typed as is, or a tmux key name. */
export type TtyInput = { text: string } | { key: string };

/** How one interactive program expresses the intents of the steps. */
export interface TtyProfile {
  /** Placed before the run's argv (e.g. `--no-alt-screen`). */
  argv: string[];
  /** The screen shows the input prompt. */
  ready: RegExp;
  /** The screen shows a question from request_user_input. */
  question: RegExp;
  /** Keystrokes that pick option `n` of the question on screen. */
  answer(n: number): TtyInput[];
  /** Keystrokes that interrupt the running turn. */
  interrupt: TtyInput[];
  /** Keystrokes that leave the program. */
  quit: TtyInput[];
}

/** Upstream Codex's TUI, inline (no alternate screen) so the whole transcript is capturable. */
export const CODEX_TUI: TtyProfile = {
  argv: ["--no-alt-screen"],
  // The footer under the composer once the session is configured: `gpt-5.1-codex default ·
  // 100% left · <cwd>` (0.115.0), `gpt-5.1-codex default · <cwd>` (0.169.0).
  ready: /^ {2}\S+ \w+ · /m,
  question: /Question \d+\/\d+/,
  // A digit picks that option and, on the last question, submits the answers.
  answer: (n) => [{ key: String(n) }],
  // "esc to interrupt" while a turn runs; Ctrl-C would also clear the composer.
  interrupt: [{ key: "Escape" }],
  quit: [{ text: "/quit" }, { key: "Enter" }],
};

/** tscodex's REPL (`tscodex` without a subcommand). */
export const TSCODEX_REPL: TtyProfile = {
  argv: [],
  // capture-pane drops trailing blanks, so a prompt waiting for input ends its line.
  ready: /^tscodex( \(\d+% left\))?>( |$)/m,
  question: /^answer>( |$)/m,
  answer: (n) => [{ text: String(n) }, { key: "Enter" }],
  // Ctrl-C interrupts a busy turn (and would leave the REPL when idle).
  interrupt: [{ key: "C-c" }],
  quit: [{ text: "/quit" }, { key: "Enter" }],
};

/** The fixed terminal every interactive run gets. */
export const TTY_SIZE = { width: 120, height: 40 };

/**
 * A key that follows typed text too closely is taken as part of a paste by upstream's composer
 * (Enter then inserts a newline instead of submitting), so keys wait this long after text.
 */
export const KEY_AFTER_TEXT_MS = 300;
const POLL_MS = 50;

export interface TtyWorld {
  /** Requests the fake server's main script has received since the run started. */
  requests(): number;
  /** Finished turns recorded in the rollouts so far. */
  turns(): Promise<number>;
  /** Interrupted turns recorded in the rollouts so far. */
  aborted(): Promise<number>;
}

export interface TtyRunOptions {
  command: string[];
  cwd: string;
  env: Record<string, string>;
  /** A folder of the run's own (the tmux socket and the exit-code file go there). */
  dir: string;
  timeoutMs: number;
  profile: TtyProfile;
  world: TtyWorld;
  log?: (line: string) => void;
}

export interface TtyExit {
  /** `null` when the run did not end in time. */
  code: number | null;
  /** The last screen (with its scroll-back), for debugging; not part of a recording. */
  screen: string;
  /** Why the run failed, when it did. */
  error?: string;
}

function run(command: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], command.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr!.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    child.on("error", (err) => reject(new Error(`cannot run ${command[0]}: ${err.message}`)));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A tmux server of our own (its socket in the run's folder) holding one session. */
export class TmuxSession {
  readonly socket: string;
  readonly exitFile: string;
  readonly configFile: string;

  constructor(dir: string) {
    this.socket = join(dir, "tmux.sock");
    this.exitFile = join(dir, "tty-exit");
    this.configFile = join(dir, "tmux.conf");
  }

  async #tmux(...args: string[]): Promise<string> {
    const result = await run(["tmux", "-S", this.socket, "-f", this.configFile, ...args]);
    if (result.code !== 0) throw new Error(`tmux ${args[0]} failed: ${result.stderr.trim()}`);
    return result.stdout;
  }

  /**
   * Starts `command` with exactly `env` (nothing of tmux's own environment leaks in) in a
   * terminal of `size`; its exit code goes to a file, as the pane closes when it ends.
   */
  async start(
    command: string[],
    options: { cwd: string; env: Record<string, string>; size?: typeof TTY_SIZE },
  ): Promise<void> {
    const size = options.size ?? TTY_SIZE;
    // No user configuration; the pane stays after the program ends, so its last screen shows.
    await writeFile(this.configFile, "set -g remain-on-exit on\n");
    const vars = Object.entries(options.env).map(([k, v]) => `${k}=${v}`);
    await this.#tmux(
      "new-session",
      "-d",
      "-s",
      "main",
      "-x",
      String(size.width),
      "-y",
      String(size.height),
      "-c",
      options.cwd,
      "/bin/sh",
      "-c",
      // A Ctrl-C that reaches the terminal's process group must not end this wrapper before the
      // program's exit code is written; a trap (not an ignore) leaves the program's SIGINT as is.
      'trap : INT; "$@"; echo $? > "$0"',
      this.exitFile,
      "env",
      "-i",
      ...vars,
      ...command,
    );
  }

  async type(text: string): Promise<void> {
    await this.#tmux("send-keys", "-t", "main", "-l", "--", text);
  }

  async press(key: string): Promise<void> {
    await this.#tmux("send-keys", "-t", "main", key);
  }

  /** The screen and its scroll-back, trailing blank lines dropped. */
  async screen(): Promise<string> {
    try {
      const text = await this.#tmux("capture-pane", "-p", "-t", "main", "-S", "-2000");
      return text.replace(/\s+$/, "") + "\n";
    } catch {
      return "";
    }
  }

  /** The program's exit code once it has ended, else undefined. */
  async exitCode(): Promise<number | undefined> {
    if (!existsSync(this.exitFile)) return undefined;
    const text = (await readFile(this.exitFile, "utf8")).trim();
    return text === "" ? undefined : Number(text);
  }

  /** Ends the tmux server and whatever still runs in it. */
  async kill(): Promise<void> {
    await run(["tmux", "-S", this.socket, "kill-server"]).catch(() => {});
  }
}

function describe(step: TtyStep): string {
  return JSON.stringify(step);
}

/**
 * Runs `command` in a fresh tmux session and plays `script` into it, then the profile's quit,
 * and waits for the program to end. Every wait shares the run's deadline.
 */
export async function runTty(script: TtyScript, options: TtyRunOptions): Promise<TtyExit> {
  const tmux = new TmuxSession(options.dir);
  const deadline = Date.now() + options.timeoutMs;
  const profile = options.profile;
  let lastWasText = false;
  const send = async (input: TtyInput) => {
    if ("text" in input) {
      await tmux.type(input.text);
      lastWasText = true;
      return;
    }
    if (lastWasText) await delay(KEY_AFTER_TEXT_MS);
    await tmux.press(input.key);
    lastWasText = false;
  };
  /** Polls `done` until it holds; false when the deadline or the program's end comes first. */
  const until = async (done: () => Promise<boolean> | boolean): Promise<boolean> => {
    while (Date.now() < deadline) {
      if (await done()) return true;
      if (await tmux.exitCode() !== undefined) return await done();
      await delay(POLL_MS);
    }
    return false;
  };
  const screenMatches = (pattern: RegExp) => async () => pattern.test(await tmux.screen());

  await tmux.start([...options.command], { cwd: options.cwd, env: options.env });
  try {
    const steps: Array<TtyStep | "quit"> = [...script.steps, "quit"];
    for (const [i, step] of steps.entries()) {
      options.log?.(`    tty step ${i + 1}: ${step === "quit" ? "quit" : describe(step)}`);
      let reached = true;
      if (step === "quit") {
        for (const input of profile.quit) await send(input);
        reached = await until(async () => await tmux.exitCode() !== undefined);
      } else if ("text" in step) await send({ text: step.text });
      else if ("key" in step) await send({ key: step.key });
      else if ("wait_requests" in step) {
        reached = await until(() => options.world.requests() >= step.wait_requests);
      } else if ("wait_turns" in step) {
        reached = await until(async () => await options.world.turns() >= step.wait_turns);
      } else if ("wait_aborted" in step) {
        reached = await until(async () => await options.world.aborted() >= step.wait_aborted);
      } else if ("wait" in step) reached = await until(screenMatches(profile.ready));
      else if ("wait_screen" in step) {
        reached = await until(screenMatches(new RegExp(step.wait_screen, "m")));
      } else if ("wait_file" in step) {
        reached = await until(() => existsSync(join(options.cwd, step.wait_file)));
      } else if ("interrupt" in step) {
        for (const input of profile.interrupt) await send(input);
      } else if ("answer" in step) {
        reached = await until(screenMatches(profile.question));
        if (reached) { for (const input of profile.answer(step.answer)) await send(input); }
      }
      if (!reached) {
        const code = await tmux.exitCode();
        const why = code !== undefined ? `the program ended (exit ${code})` : "timed out";
        return {
          code: null,
          screen: await tmux.screen(),
          error: `step ${i + 1} ${step === "quit" ? "quit" : describe(step)}: ${why}`,
        };
      }
    }
    return { code: (await tmux.exitCode()) ?? null, screen: await tmux.screen() };
  } finally {
    await tmux.kill();
  }
}

/** The texts a script types: what the user wrote, which the normaliser must not take for prose. */
export function typedTexts(script: TtyScript): string[] {
  return script.steps.flatMap((step) => ("text" in step ? [step.text] : []));
}
