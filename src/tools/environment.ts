// The environment a command the model runs starts with: tscodex's own, filtered by the
// `[shell_environment_policy]` of config.toml. Rules and order are upstream 0.115.0's (checked
// against its binary): start from all, the core few, or nothing; drop `*KEY*`, `*SECRET*`,
// `*TOKEN*` unless `ignore_default_excludes`; drop `exclude`; add `set`; then keep only
// `include_only` when given. Patterns are case-insensitive globs with `*` and `?` only — a `[` is
// an ordinary character, as in upstream's matcher.
import type { ShellEnvironmentPolicy } from "../config/mod.ts";

/** The variables `inherit = "core"` keeps (names compared exactly, as upstream does off Windows). */
const CORE_VARIABLES = new Set([
  "HOME",
  "LOGNAME",
  "PATH",
  "SHELL",
  "USER",
  "USERNAME",
  "TMPDIR",
  "TEMP",
  "TMP",
]);

const DEFAULT_EXCLUDES = ["*KEY*", "*SECRET*", "*TOKEN*"];

/** A case-insensitive glob where `*` is any run of characters and `?` any one character. */
function globMatcher(pattern: string): RegExp {
  const body = [...pattern].map((c) =>
    c === "*" ? "[^]*" : c === "?" ? "[^]" : c.replace(/[\\^$.|+()[\]{}]/, "\\$&")
  ).join("");
  return new RegExp(`^${body}$`, "i");
}

function matcherOf(patterns: string[]): (name: string) => boolean {
  const regexps = patterns.map(globMatcher);
  return (name) => regexps.some((regexp) => regexp.test(name));
}

/** The environment a command gets from `vars` (tscodex's own) under `policy`. */
export function commandEnvironment(
  policy: ShellEnvironmentPolicy,
  vars: Record<string, string | undefined>,
): Record<string, string> {
  let entries = Object.entries(vars).filter((entry): entry is [string, string] =>
    entry[1] !== undefined
  );
  if (policy.inherit === "none") entries = [];
  if (policy.inherit === "core") entries = entries.filter(([name]) => CORE_VARIABLES.has(name));
  if (!policy.ignoreDefaultExcludes) {
    const excluded = matcherOf(DEFAULT_EXCLUDES);
    entries = entries.filter(([name]) => !excluded(name));
  }
  if (policy.exclude.length > 0) {
    const excluded = matcherOf(policy.exclude);
    entries = entries.filter(([name]) => !excluded(name));
  }
  const env = Object.fromEntries(entries);
  Object.assign(env, policy.set);
  if (policy.includeOnly.length === 0) return env;
  const included = matcherOf(policy.includeOnly);
  return Object.fromEntries(Object.entries(env).filter(([name]) => included(name)));
}
