// `CODEX_HOME/.env`, read with pycodex's rules: blank lines and `#` comments skipped, an optional
// `export ` prefix, `"…"` values with backslash escapes, `'…'` values literal, unquoted values cut
// at ` #`. Its variables override the environment (as upstream's and pycodex's do), except names
// starting with CODEX_ (any case): a project's .env must not redirect CODEX_HOME or friends.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ioCause } from "../platform/mod.ts";
import { ConfigError } from "./errors.ts";

const ESCAPES: Record<string, string> = {
  n: "\n",
  r: "\r",
  t: "\t",
  a: "\x07",
  b: "\b",
  f: "\f",
  v: "\v",
  "0": "\0",
  "\\": "\\",
  '"': '"',
  "'": "'",
};

function unescape(text: string): string {
  return text.replace(
    /\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)/gs,
    (whole, code: string) => {
      if (code.length > 1) return String.fromCodePoint(parseInt(code.slice(1), 16));
      return ESCAPES[code] ?? whole;
    },
  );
}

function parseValue(raw: string): string {
  const quote = raw[0];
  if (quote !== '"' && quote !== "'") {
    const comment = raw.indexOf(" #");
    return comment >= 0 ? raw.slice(0, comment).trimEnd() : raw;
  }
  const inner = raw.length >= 2 && raw.endsWith(quote) ? raw.slice(1, -1) : raw.slice(1);
  return quote === "'" ? inner : unescape(inner);
}

export function parseDotenv(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const rawLine of text.split(/\r\n|\r|\n/)) {
    let line = rawLine.trim();
    if (!line || line.startsWith("#")) continue;
    if (line.startsWith("export ")) line = line.slice("export ".length).trimStart();
    const eq = line.indexOf("=");
    if (eq < 0) continue;
    const key = line.slice(0, eq).trim();
    if (key) values.set(key, parseValue(line.slice(eq + 1).trim()));
  }
  return values;
}

/** Loads `<home>/.env` into `env`; returns the names it set. A missing file sets nothing. */
export function loadCodexDotenv(
  home: string,
  env: Record<string, string | undefined>,
): string[] {
  const file = join(home, ".env");
  if (!existsSync(file)) return [];
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError(`cannot read ${file}: ${ioCause(err)}; fix it or remove it`);
  }
  const set: string[] = [];
  for (const [key, value] of parseDotenv(text)) {
    if (key.toUpperCase().startsWith("CODEX_")) continue;
    env[key] = value;
    set.push(key);
  }
  return set;
}
