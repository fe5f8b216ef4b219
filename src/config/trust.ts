// Project trust: `[projects."<path>"] trust_level = "trusted" | "untrusted"` is where upstream's
// interactive CLI keeps the user's answer to "do you trust this folder?". The work dir's own entry
// counts, else that of the git repository the work dir is in.
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

export type TrustLevel = "trusted" | "untrusted";

function levelOf(projects: Record<string, unknown>, dir: string): TrustLevel | undefined {
  const entry = projects[dir] as { trust_level?: unknown } | undefined;
  const level = entry?.trust_level;
  return level === "trusted" || level === "untrusted" ? level : undefined;
}

/** The trust recorded for `cwd` in a config table, if any. */
export function projectTrust(table: Record<string, unknown>, cwd: string): TrustLevel | undefined {
  const projects = table.projects;
  if (!projects || typeof projects !== "object" || Array.isArray(projects)) return undefined;
  const entries = projects as Record<string, unknown>;
  const dir = resolve(cwd);
  const own = levelOf(entries, dir);
  if (own) return own;
  for (let at = dir;; at = dirname(at)) {
    if (existsSync(join(at, ".git"))) return at === dir ? undefined : levelOf(entries, at);
    if (dirname(at) === at) return undefined;
  }
}
