// Where rollouts live: CODEX_HOME/sessions/YYYY/MM/DD/rollout-YYYY-MM-DDTHH-MM-SS-<id>.jsonl, in
// local time, as upstream names them (its own listing parses these names).
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { localTime, pad2 } from "../system/mod.ts";

const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
const ROLLOUT_NAME = new RegExp(`^rollout-.+-(${UUID})\\.jsonl$`, "i");
export const UUID_PATTERN = new RegExp(`^${UUID}$`, "i");

export function sessionsDir(codexHome: string): string {
  return join(codexHome, "sessions");
}

/** The rollout path of a session started at `now` (local date folders and file time). */
export function rolloutPath(codexHome: string, sessionId: string, now: Date): string {
  const t = localTime(now);
  const [y, m, d] = [String(t.year), pad2(t.month), pad2(t.day)];
  const time = `${pad2(t.hours)}-${pad2(t.minutes)}-${pad2(t.seconds)}`;
  return join(sessionsDir(codexHome), y, m, d, `rollout-${y}-${m}-${d}T${time}-${sessionId}.jsonl`);
}

/** The session id in a rollout file name, or undefined when the name is not a rollout's. */
export function sessionIdFromName(name: string): string | undefined {
  return ROLLOUT_NAME.exec(name)?.[1]?.toLowerCase();
}

export interface RolloutFile {
  path: string;
  sessionId: string;
  /** Last modification: a resumed session is as recent as its last appended line. */
  mtimeMs: number;
}

async function entries(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

/** Every rollout file under CODEX_HOME/sessions, newest modification first. */
export async function listRolloutFiles(codexHome: string): Promise<RolloutFile[]> {
  const files: RolloutFile[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    for (const name of await entries(dir)) {
      const path = join(dir, name);
      if (depth < 3) {
        await walk(path, depth + 1);
        continue;
      }
      const sessionId = sessionIdFromName(name);
      if (!sessionId) continue;
      try {
        const info = await stat(path);
        if (info.isFile()) files.push({ path, sessionId, mtimeMs: info.mtimeMs });
      } catch {
        // Removed while we listed; nothing to show.
      }
    }
  };
  await walk(sessionsDir(codexHome), 0);
  // Ties (same mtime granularity) fall back to the name, whose timestamp orders creation.
  return files.sort((a, b) => b.mtimeMs - a.mtimeMs || (a.path < b.path ? 1 : -1));
}
