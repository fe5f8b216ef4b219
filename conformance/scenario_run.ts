// Runs one scenario against a Codex-compatible CLI (upstream or tscodex) in a fixed environment:
// a fresh CODEX_HOME and HOME, a work dir with a fixed name, a fixed locale, time zone, terminal and
// shell, stdin from /dev/null, and the embedded fake server as the only model provider.
import { Buffer } from "node:buffer";
import { spawn } from "node:child_process";
import {
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  realpath,
  rm,
  rmdir,
  writeFile,
} from "node:fs/promises";
import { existsSync } from "node:fs";
import { createHash } from "node:crypto";
import { dirname, join, relative, resolve } from "node:path";
import process from "node:process";
import { stringify } from "smol-toml";
import { FakeResponsesServer, parseScenario } from "../src/fake/mod.ts";
import type { FileContent, RawRecording, RolloutRecord, Roots, RunRecord } from "./recording.ts";
import type { ConformanceScenario } from "./conformance_scenario.ts";
import { runTty, type TtyProfile, typedTexts } from "./tty.ts";

/** What to run: a command prefix the scenario's argv is appended to, and extra environment. */
export interface Subject {
  name: string;
  command: string[];
  env?: Record<string, string>;
  /** How the program is driven in a terminal, for runs with `tty` steps. */
  tty?: TtyProfile;
}

/** The environment every run gets, whatever the parent process has. */
export const FIXED_ENV: Readonly<Record<string, string>> = {
  PATH: "/usr/local/bin:/usr/bin:/bin",
  TZ: "UTC",
  LANG: "C.UTF-8",
  TERM: "xterm",
  SHELL: "/bin/bash",
  FAKE_API_KEY: "sk-conformance-not-a-secret",
};

export const WORKDIR_NAME = "project";

/** Fixed so the commit hash of the work dir is the same on every machine and every run. */
const GIT_ENV = {
  GIT_AUTHOR_NAME: "Conformance",
  GIT_AUTHOR_EMAIL: "conformance@example.invalid",
  GIT_AUTHOR_DATE: "2001-02-03T04:05:06Z",
  GIT_COMMITTER_NAME: "Conformance",
  GIT_COMMITTER_EMAIL: "conformance@example.invalid",
  GIT_COMMITTER_DATE: "2001-02-03T04:05:06Z",
  GIT_CONFIG_NOSYSTEM: "1",
};

function baseConfig(baseUrl: string): Record<string, unknown> {
  return {
    model: "gpt-5.1-codex",
    model_provider: "fake",
    model_providers: {
      fake: { name: "fake", base_url: baseUrl, wire_api: "responses", env_key: "FAKE_API_KEY" },
    },
  };
}

function isTable(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Tables merge key by key; anything else in `extra` replaces what `base` had. */
export function mergeConfig(
  base: Record<string, unknown>,
  extra: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    out[key] = isTable(out[key]) && isTable(value) ? mergeConfig(out[key], value) : value;
  }
  return out;
}

export interface Exit {
  /** `null` when the process was killed after `timeoutMs`. */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end with stdin from /dev/null, collecting its output. */
export function runProcess(
  command: string[],
  options: { cwd: string; env: Record<string, string>; timeoutMs: number },
): Promise<Exit> {
  return new Promise((resolve, reject) => {
    // Own process group, so a timeout also ends the shells the agent started.
    const child = spawn(command[0], command.slice(1), {
      cwd: options.cwd,
      env: options.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on("data", (c: Buffer) => out.push(c));
    child.stderr!.on("data", (c: Buffer) => err.push(c));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    }, options.timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${command[0]}: ${e.message}`));
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({
        code: timedOut ? null : code,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8") +
          (timedOut ? `\n[conformance: killed after ${options.timeoutMs} ms]\n` : ""),
      });
    });
  });
}

async function git(cwd: string, env: Record<string, string>, ...args: string[]): Promise<void> {
  const result = await runProcess(["git", ...args], { cwd, env, timeoutMs: 30_000 });
  if (result.code !== 0) throw new Error(`git ${args.join(" ")} failed: ${result.stderr}`);
}

async function listFiles(dir: string, skip: (rel: string) => boolean): Promise<string[]> {
  const out: string[] = [];
  async function walk(current: string): Promise<void> {
    let entries;
    try {
      entries = await readdir(current, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = join(current, entry.name);
      const rel = relative(dir, full);
      if (skip(rel)) continue;
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) out.push(rel);
    }
  }
  await walk(dir);
  return out.sort();
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

function fileContent(bytes: Uint8Array): FileContent {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return { sha256: createHash("sha256").update(bytes).digest("hex"), bytes: bytes.length };
  }
}

async function readRollouts(codexHome: string): Promise<RolloutRecord[]> {
  const names = await listFiles(
    codexHome,
    (rel) => !/^(sessions|archived_sessions)(\/|$)/.test(rel),
  );
  const rollouts: RolloutRecord[] = [];
  for (const name of names.filter((n) => n.endsWith(".jsonl"))) {
    const text = await readFile(join(codexHome, name), "utf8");
    const lines = text.split("\n").filter((line) => line.trim()).map((line) => {
      try {
        return JSON.parse(line);
      } catch {
        return line;
      }
    });
    rollouts.push({ name, lines });
  }
  return rollouts;
}

/** Turns that ended (`task_complete` events) across rollouts. */
export function countFinishedTurns(rollouts: RolloutRecord[]): number {
  return countEvents(rollouts, "task_complete");
}

/** The `event_msg` lines of this payload type across rollouts (`turn_aborted`, …). */
export function countEvents(rollouts: RolloutRecord[], type: string): number {
  let count = 0;
  for (const rollout of rollouts) {
    for (const line of rollout.lines) {
      const payload = (line as { type?: unknown; payload?: { type?: unknown } })?.payload;
      if ((line as { type?: unknown } | null)?.type === "event_msg" && payload?.type === type) {
        count++;
      }
    }
  }
  return count;
}

/**
 * Ends the processes still running a program from under `root`, and returns their ids. Upstream
 * 0.169's TUI copies itself into CODEX_HOME and starts an app-server daemon and an updater from
 * there, in sessions of their own, which outlive the TUI; nothing else would ever stop them. Only
 * Linux's /proc tells; elsewhere nothing is found.
 */
export async function endLeftovers(root: string): Promise<number[]> {
  let pids: string[];
  try {
    pids = (await readdir("/proc")).filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  const ended: number[] = [];
  for (const pid of pids) {
    const exe = await readlink(`/proc/${pid}/exe`).catch(() => "");
    if (!exe.startsWith(`${root}/`)) continue;
    try {
      // The run is over and recorded: nothing these processes do now is wanted.
      process.kill(Number(pid), "SIGKILL");
      ended.push(Number(pid));
    } catch {
      // It ended by itself meanwhile.
    }
  }
  return ended;
}

/**
 * Upstream's workspace-write sandbox leaves an empty `/tmp/.git` behind (the mount point of the
 * read-only `.git` it lays over each writable root, /tmp among them). Left there, it would make
 * every folder under /tmp look like a git repository.
 */
const STRAY_GIT = "/tmp/.git";

async function removeEmptyDir(path: string): Promise<void> {
  try {
    await rmdir(path);
  } catch {
    // Not there, or not empty (then it is not the stray mount point): leave it.
  }
}

const SCENARIOS_DIR = "{{scenarios}}";

/** `value` with every `{{scenarios}}` in its strings replaced by the scenarios' folder. */
export function withScenariosDir(value: unknown, dir: string | undefined): unknown {
  if (typeof value === "string") {
    if (!value.includes(SCENARIOS_DIR)) return value;
    if (dir === undefined) {
      throw new Error(`${SCENARIOS_DIR} is used but no scenarios folder is known`);
    }
    return value.replaceAll(SCENARIOS_DIR, resolve(dir));
  }
  if (Array.isArray(value)) return value.map((v) => withScenariosDir(v, dir));
  if (isTable(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, withScenariosDir(v, dir)]),
    );
  }
  return value;
}

export interface SandboxOptions {
  /** Parent folder of the per-scenario folders; must not be under /tmp for upstream 0.115. */
  workRoot: string;
  /**
   * The scenarios' folder: `{{scenarios}}` in a config string stands for it, so a scenario can
   * run a helper kept beside it (the MCP servers it configures).
   */
  scenariosDir?: string;
  /** Keep the scenario folder afterwards (for debugging). */
  keep?: boolean;
  log?: (line: string) => void;
}

/** Runs every run of `scenario` with `subject` and collects what it sent, printed and wrote. */
export async function runScenario(
  scenario: ConformanceScenario,
  subject: Subject,
  options: SandboxOptions,
): Promise<RawRecording> {
  await mkdir(options.workRoot, { recursive: true });
  const root = await realpath(await mkdtemp(join(options.workRoot, `${scenario.name}-`)));
  const roots: Roots = {
    root,
    cwd: join(root, WORKDIR_NAME),
    codexHome: join(root, "codex-home"),
    home: join(root, "home"),
  };
  for (const dir of [roots.cwd, roots.codexHome, roots.home]) await mkdir(dir, { recursive: true });
  const env: Record<string, string> = {
    ...FIXED_ENV,
    HOME: roots.home,
    CODEX_HOME: roots.codexHome,
    ...subject.env,
  };
  const server = new FakeResponsesServer(
    parseScenario({
      name: scenario.name,
      responses: scenario.responses,
      after_last: scenario.after_last,
      routes: scenario.routes,
    }),
    // A request that breaks the invariants gets a 400, which shows in the comparison.
    { recordDir: join(root, "record"), lenient: true },
  );
  const strayGitBefore = existsSync(STRAY_GIT);
  try {
    for (const [path, content] of Object.entries(scenario.files)) {
      const target = join(roots.cwd, path);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, content);
    }
    if (scenario.git) {
      const gitEnv = { ...FIXED_ENV, HOME: roots.home, ...GIT_ENV };
      await git(roots.cwd, gitEnv, "-c", "init.defaultBranch=main", "init", "-q");
      await git(roots.cwd, gitEnv, "add", "-A");
      await git(roots.cwd, gitEnv, "commit", "-q", "--allow-empty", "-m", "init");
    }
    for (const [path, content] of Object.entries(scenario.after_commit_files ?? {})) {
      const target = join(roots.cwd, path);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, content);
    }
    await server.start();
    let config = mergeConfig(
      baseConfig(server.baseUrl),
      withScenariosDir(scenario.config, options.scenariosDir) as Record<string, unknown>,
    );
    // Upstream's TUI asks whether to trust an unknown work dir before anything else; a user who
    // answers yes gets this entry, so interactive scenarios start from it.
    const trust = scenario.runs.some((run) => run.tty) ? "trusted" : scenario.trust;
    if (trust) config = mergeConfig(config, { projects: { [roots.cwd]: { trust_level: trust } } });
    if (scenario.config_file !== false) {
      await writeFile(join(roots.codexHome, "config.toml"), stringify(config) + "\n");
    }
    for (const [name, value] of Object.entries(scenario.env ?? {})) {
      env[name] = value.replaceAll("{{base_url}}", server.baseUrl);
    }

    /** A tty run's screen is not recorded (it is neither stable nor comparable); a failure is. */
    const runInTerminal = async (
      script: NonNullable<ConformanceScenario["runs"][number]["tty"]>,
      argv: string[],
      timeoutMs: number,
      index: number,
    ): Promise<Exit> => {
      if (!subject.tty) throw new Error(`${subject.name} cannot run interactive scenarios`);
      const before = server.requests.length;
      const dir = join(root, `tty-${index + 1}`);
      await mkdir(dir, { recursive: true });
      const exit = await runTty(script, {
        command: [...subject.command, ...subject.tty.argv, ...argv],
        cwd: roots.cwd,
        env,
        dir,
        timeoutMs,
        profile: subject.tty,
        world: {
          // The main script's requests only: what a route answers (upstream 0.169's thread-title
          // requests) comes beside the turn's own, in an order of its own.
          requests: () => server.requests.slice(before).filter((r) => r.route === undefined).length,
          turns: async () => countFinishedTurns(await readRollouts(roots.codexHome)),
          aborted: async () => countEvents(await readRollouts(roots.codexHome), "turn_aborted"),
        },
        log: options.log,
      });
      if (options.keep) await writeFile(join(dir, "screen.txt"), exit.screen);
      return {
        code: exit.code,
        stdout: "",
        stderr: exit.error ? `[conformance: ${exit.error}]\n${exit.screen}` : "",
      };
    };
    const runs: RunRecord[] = [];
    const wallMs: number[] = [];
    for (const [i, run] of scenario.runs.entries()) {
      const before = server.requests.length;
      options.log?.(`  run ${i + 1}: ${subject.name} ${run.argv.join(" ")}`);
      const started = performance.now();
      const exit = run.tty
        ? await runInTerminal(run.tty, run.argv, run.timeout_ms, i)
        : await runProcess([...subject.command, ...run.argv], {
          cwd: roots.cwd,
          env,
          timeoutMs: run.timeout_ms,
        });
      wallMs.push(performance.now() - started);
      runs.push({
        argv: run.argv,
        ...(run.tty ? { typed: typedTexts(run.tty) } : {}),
        exit_code: exit.code,
        stdout: exit.stdout,
        stderr: exit.stderr,
        requests: server.requestsByScript(before).map((r) => ({
          method: r.method,
          path: r.path,
          query: r.query,
          headers: r.headers,
          body: r.body,
        })),
      });
    }
    const files: Record<string, FileContent> = {};
    for (const rel of await listFiles(roots.cwd, (r) => r === ".git")) {
      files[rel] = fileContent(await readFile(join(roots.cwd, rel)));
    }
    return {
      scenario: scenario.name,
      runs,
      rollouts: await readRollouts(roots.codexHome),
      files,
      roots,
      wallMs,
    };
  } finally {
    if (!strayGitBefore) await removeEmptyDir(STRAY_GIT);
    const ended = await endLeftovers(root);
    if (ended.length) options.log?.(`  ended ${ended.length} process(es) left running`);
    await server.close();
    if (!options.keep) await rm(root, { recursive: true, force: true });
    else options.log?.(`  kept ${root}`);
  }
}
