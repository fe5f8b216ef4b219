// Fixture folders: one normalised recording per upstream version and scenario, laid out so a
// `git diff` of a re-recording reads well:
//   meta.json                      scenario, digest, upstream version, per-run argv/exit/request count
//   run-N/stdout.txt, stderr.txt   what run N printed
//   run-N/requests/NNN.json        each request: method, path, query, headers, body
//   rollouts/N.jsonl               each rollout file (its CODEX_HOME path is in meta.json)
//   files.json                     the work dir after the last run
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { listDir, readText } from "./files.ts";
import type { Recording, RequestRecord } from "./recording.ts";

export interface FixtureMeta {
  scenario: string;
  /** sha256 of the scenario as parsed when it was recorded; a mismatch means a stale fixture. */
  scenario_digest: string;
  recorded_with: { program: string; version: string };
  runs: Array<{ argv: string[]; exit_code: number | null; requests: number }>;
  rollouts: string[];
}

export class FixtureError extends Error {
  constructor(readonly dir: string, detail: string) {
    super(`fixture ${dir}: ${detail}`);
    this.name = "FixtureError";
  }
}

function json(value: unknown): string {
  return JSON.stringify(value, null, 2) + "\n";
}

const pad = (n: number) => String(n).padStart(3, "0");

export async function writeFixture(
  dir: string,
  recording: Recording,
  meta: Omit<FixtureMeta, "runs" | "rollouts" | "scenario">,
): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const full: FixtureMeta = {
    scenario: recording.scenario,
    ...meta,
    runs: recording.runs.map((run) => ({
      argv: run.argv,
      exit_code: run.exit_code,
      requests: run.requests.length,
    })),
    rollouts: recording.rollouts.map((rollout) => rollout.name),
  };
  await writeFile(join(dir, "meta.json"), json(full));
  for (const [i, run] of recording.runs.entries()) {
    const runDir = join(dir, `run-${i + 1}`);
    await mkdir(join(runDir, "requests"), { recursive: true });
    await writeFile(join(runDir, "stdout.txt"), run.stdout);
    await writeFile(join(runDir, "stderr.txt"), run.stderr);
    for (const [j, request] of run.requests.entries()) {
      await writeFile(join(runDir, "requests", `${pad(j + 1)}.json`), json(request));
    }
  }
  if (recording.rollouts.length) await mkdir(join(dir, "rollouts"));
  for (const [i, rollout] of recording.rollouts.entries()) {
    const text = rollout.lines.map((line) => JSON.stringify(line)).join("\n");
    await writeFile(join(dir, "rollouts", `${i + 1}.jsonl`), text + "\n");
  }
  await writeFile(join(dir, "files.json"), json(recording.files));
}

async function readJson<T>(dir: string, file: string): Promise<T> {
  let text: string;
  try {
    text = await readText(join(dir, file));
  } catch {
    throw new FixtureError(dir, `${file} is missing`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new FixtureError(dir, `${file} is not JSON (${(err as Error).message})`);
  }
}

export async function readFixture(
  dir: string,
): Promise<{ meta: FixtureMeta; recording: Recording }> {
  const meta = await readJson<FixtureMeta>(dir, "meta.json");
  const runs = [];
  for (const [i, run] of meta.runs.entries()) {
    const runDir = `run-${i + 1}`;
    const requests: RequestRecord[] = [];
    for (let j = 0; j < run.requests; j++) {
      requests.push(
        await readJson<RequestRecord>(dir, join(runDir, "requests", `${pad(j + 1)}.json`)),
      );
    }
    const text = (name: string) => readText(join(dir, runDir, name)).catch(() => "");
    runs.push({
      ...run,
      stdout: await text("stdout.txt"),
      stderr: await text("stderr.txt"),
      requests,
    });
  }
  const rollouts = [];
  for (const [i, name] of meta.rollouts.entries()) {
    const text = await readText(join(dir, "rollouts", `${i + 1}.jsonl`));
    rollouts.push({
      name,
      lines: text.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l)),
    });
  }
  const files = await readJson<Recording["files"]>(dir, "files.json");
  return { meta, recording: { scenario: meta.scenario, runs, rollouts, files } };
}

/** The upstream versions that have a fixture folder, newest last. */
export async function fixtureVersions(fixturesDir: string): Promise<string[]> {
  try {
    const names = await listDir(join(fixturesDir, "upstream"));
    return names.sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  } catch {
    return [];
  }
}
