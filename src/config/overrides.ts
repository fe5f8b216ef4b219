// `-c key=value` overrides, parsed the way upstream Codex parses them: split at the first `=`, the
// value is a TOML value when it parses as one (`-c retries=3`, `-c 'list=["a"]'`) and a plain
// string otherwise (`-c model=o3`), with surrounding quotes stripped. Keys are TOML dotted keys,
// so a provider id containing a dot can be quoted: `-c 'model_providers."a.b".base_url=…'`.
import { parse } from "smol-toml";
import { ConfigError } from "./errors.ts";

export interface ConfigOverride {
  /** The flag as given, for error messages. */
  readonly raw: string;
  readonly path: readonly string[];
  readonly value: unknown;
}

export type Table = Record<string, unknown>;

export function isTable(value: unknown): value is Table {
  return typeof value === "object" && value !== null && !Array.isArray(value) &&
    !(value instanceof Date);
}

/** The single key path of a one-entry TOML document, or undefined when it is not one. */
function singlePath(doc: Table, leaf: (value: unknown) => boolean): string[] | undefined {
  const path: string[] = [];
  let node: unknown = doc;
  while (isTable(node)) {
    const keys = Object.keys(node);
    if (keys.length !== 1) return undefined;
    path.push(keys[0]);
    node = node[keys[0]];
    if (leaf(node)) return path;
  }
  return undefined;
}

function keyPath(key: string): string[] {
  const sentinel = "__tscodex_override__";
  try {
    const path = singlePath(parse(`${key} = "${sentinel}"`), (v) => v === sentinel);
    if (path) return path;
  } catch {
    // Not TOML key syntax (e.g. a space inside a segment): split on dots, as upstream does.
  }
  return key.split(".").map((part) => part.trim());
}

function tomlValue(text: string): unknown {
  try {
    const doc = parse(`value = ${text}`);
    // structuredClone: plain objects instead of the parser's null-prototype tables.
    if (Object.keys(doc).length === 1 && "value" in doc) return structuredClone(doc.value);
  } catch {
    // Falls through to the string reading below.
  }
  return text.replace(/^["']+|["']+$/g, "");
}

export function parseOverride(raw: string): ConfigOverride {
  const eq = raw.indexOf("=");
  if (eq < 0) {
    throw new ConfigError(`invalid -c override ${JSON.stringify(raw)}: expected key=value`);
  }
  const key = raw.slice(0, eq).trim();
  if (!key) throw new ConfigError(`invalid -c override ${JSON.stringify(raw)}: the key is empty`);
  const path = keyPath(key);
  if (path.some((part) => part === "")) {
    throw new ConfigError(`invalid -c override ${JSON.stringify(raw)}: empty segment in the key`);
  }
  return { raw, path, value: tomlValue(raw.slice(eq + 1).trim()) };
}

/** A deep copy of `table` with the overrides written in; non-table values on the way are replaced. */
export function applyOverrides(table: Table, overrides: readonly ConfigOverride[]): Table {
  const root = structuredClone(table);
  for (const { path, value } of overrides) {
    let node = root;
    for (const part of path.slice(0, -1)) {
      if (!isTable(node[part])) node[part] = {};
      node = node[part] as Table;
    }
    node[path[path.length - 1]] = structuredClone(value);
  }
  return root;
}

/** `base` with `top` laid over it; tables merge key by key, anything else is replaced. */
export function mergeTables(base: Table, top: Table): Table {
  const out: Table = { ...base };
  for (const [key, value] of Object.entries(top)) {
    out[key] = isTable(value) && isTable(out[key])
      ? mergeTables(out[key] as Table, value)
      : structuredClone(value);
  }
  return out;
}
