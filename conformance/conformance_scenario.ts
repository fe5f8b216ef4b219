// Conformance scenarios: what a run of upstream Codex (or tscodex) is given — config additions,
// work-dir files, the argv of each run, and the fake server's scripted responses — as JSON files.
import { createHash } from "node:crypto";
import { basename, join } from "node:path";
import { z } from "zod";
import { ScriptedResponse, ScriptRoute } from "../src/fake/mod.ts";
import { listDir, readText } from "./files.ts";
import { TtyScript } from "./tty.ts";

/** Every scripted response gets this usage unless it sets its own, so token counts are stable. */
export const DEFAULT_USAGE = {
  input_tokens: 100,
  cached_input_tokens: 20,
  output_tokens: 10,
  reasoning_output_tokens: 3,
};

const Run = z.strictObject({
  /** Arguments after the program name, e.g. `["exec", "--json", "Say hello"]`. */
  argv: z.array(z.string()),
  /** Kills the run after this long; it then counts as exit code `null`. */
  timeout_ms: z.number().int().min(1).default(120_000),
  /** Runs the interactive program in a terminal and plays these steps (see tty.ts). */
  tty: TtyScript.optional(),
}).refine((run) => run.tty || run.argv.length > 0, {
  message: "a run without tty needs argv",
  path: ["argv"],
});
export type Run = z.infer<typeof Run>;

export const ConformanceScenario = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "lowercase letters, digits and dashes"),
  description: z.string().min(1),
  /** Merged into the base config.toml (model, the `fake` provider); tables merge key by key. */
  config: z.record(z.string(), z.unknown()).default({}),
  /** Files written into the work dir before the first run (path relative to it → content). */
  files: z.record(z.string(), z.string()).default({ "README.md": "# demo\n" }),
  /** Make the work dir a git repository with one commit of `files` (upstream checks for one). */
  git: z.boolean().default(true),
  /**
   * Files written (path → content) after that commit: uncommitted changes, e.g. for a review. No
   * default, so other scenarios keep the digest they were recorded with.
   */
  after_commit_files: z.record(z.string(), z.string()).optional(),
  runs: z.array(Run).min(1),
  /** The fake server's script, shared by all runs in order (a resumed run continues it). */
  responses: z.array(ScriptedResponse).min(1),
  after_last: z.enum(["error", "repeat_last"]).default("error"),
  /**
   * Scripts of their own for requests with a header, e.g. a sub-agent's (see src/fake/). No
   * default, so scenarios without routes keep the digest they were recorded with.
   */
  routes: z.array(ScriptRoute).optional(),
  /**
   * The work dir's `[projects."<dir>"] trust_level` in config.toml (interactive runs are always
   * trusted). No default, so other scenarios keep the digest they were recorded with.
   */
  trust: z.enum(["trusted", "untrusted"]).optional(),
  /** false: no config.toml at all, so only the environment configures the program. */
  config_file: z.boolean().optional(),
  /**
   * Extra environment of every run; `{{base_url}}` in a value is the fake server's base URL (e.g.
   * `OPENAI_BASE_URL` for a run without config.toml).
   */
  env: z.record(z.string(), z.string()).optional(),
  /** `json`: also a `<name>-json` scenario with `--json` after `exec` in every run. */
  variants: z.array(z.literal("json")).default([]),
});
export type ConformanceScenario = z.infer<typeof ConformanceScenario>;

export class ConformanceScenarioError extends Error {
  constructor(readonly file: string, detail: string) {
    super(`invalid conformance scenario ${file}: ${detail}`);
    this.name = "ConformanceScenarioError";
  }
}

/** Parses one scenario file's value; `file` names it in errors and must match its `name`. */
export function parseConformanceScenario(value: unknown, file: string): ConformanceScenario {
  const parsed = ConformanceScenario.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue.path.length ? ` at ${issue.path.join(".")}` : "";
    throw new ConformanceScenarioError(file, `${issue.message}${at}`);
  }
  const scenario = parsed.data;
  const stem = basename(file).replace(/\.json$/, "");
  if (file !== "<inline>" && stem !== scenario.name) {
    throw new ConformanceScenarioError(file, `name "${scenario.name}" differs from the file name`);
  }
  for (const script of [scenario, ...(scenario.routes ?? [])]) {
    for (const response of script.responses) response.usage ??= { ...DEFAULT_USAGE };
  }
  return scenario;
}

function withJsonFlag(argv: string[]): string[] {
  const at = argv.indexOf("exec");
  if (at < 0) return [...argv, "--json"];
  return [...argv.slice(0, at + 1), "--json", ...argv.slice(at + 1)];
}

/** The scenario itself followed by the variants it asks for. */
export function expandVariants(scenario: ConformanceScenario): ConformanceScenario[] {
  const out = [scenario];
  if (scenario.variants.includes("json")) {
    out.push({
      ...scenario,
      name: `${scenario.name}-json`,
      description: `${scenario.description} (--json)`,
      runs: scenario.runs.map((run) => ({ ...run, argv: withJsonFlag(run.argv) })),
      variants: [],
    });
  }
  return out;
}

/** A digest of what a scenario asks for, stored with its fixtures to spot stale recordings. */
export function scenarioDigest(scenario: ConformanceScenario): string {
  return createHash("sha256").update(JSON.stringify(scenario)).digest("hex");
}

/** All scenarios of a folder, variants expanded, sorted by name; `only` keeps the named ones. */
export async function loadScenarios(dir: string, only?: string[]): Promise<ConformanceScenario[]> {
  let names: string[];
  try {
    names = (await listDir(dir)).filter((n) => n.endsWith(".json")).sort();
  } catch (err) {
    throw new ConformanceScenarioError(dir, `cannot list the folder (${(err as Error).message})`);
  }
  const all: ConformanceScenario[] = [];
  for (const name of names) {
    const file = join(dir, name);
    let value: unknown;
    try {
      value = JSON.parse(await readText(file));
    } catch (err) {
      throw new ConformanceScenarioError(file, `not readable JSON (${(err as Error).message})`);
    }
    all.push(...expandVariants(parseConformanceScenario(value, file)));
  }
  all.sort((a, b) => a.name.localeCompare(b.name));
  if (!only?.length) return all;
  const picked = all.filter((s) => only.includes(s.name));
  const unknown = only.filter((n) => !all.some((s) => s.name === n));
  if (unknown.length) {
    throw new ConformanceScenarioError(
      dir,
      `no scenario named ${unknown.join(", ")} (have: ${all.map((s) => s.name).join(", ")})`,
    );
  }
  return picked;
}
