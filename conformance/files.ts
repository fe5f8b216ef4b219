// Where the harness reads scenarios and fixtures from: a folder on disk, or the archive built into
// the compiled binary (paths under `builtin:`), so the binary alone, copied anywhere, replays what
// it carries. Readers take paths either way; only this module knows the difference.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { unzipSync, zipSync } from "fflate";
import { embeddedFile } from "../src/platform/mod.ts";

/** The root of the built-in tree: `builtin:/fixtures/…` and `builtin:/scenarios/…`. */
export const BUILTIN_ROOT = "builtin:";
/** The archive's name among the files `bun build --compile` embeds (scripts/build.ts). */
export const BUNDLE_NAME = "conformance.zip";

let builtin: Map<string, Uint8Array> | undefined;
let probed = false;

/** Makes `files` (archive paths → bytes) the built-in tree; tests use it to stand in for a binary. */
export function mountBuiltin(files: Record<string, Uint8Array> | undefined): void {
  builtin = files ? new Map(Object.entries(files)) : undefined;
  probed = true;
}

/** Whether this program carries the built-in tree (unpacked on first use). */
export async function hasBuiltin(): Promise<boolean> {
  if (!probed) {
    probed = true;
    const archive = await embeddedFile(BUNDLE_NAME);
    if (archive) builtin = new Map(Object.entries(unzipSync(archive)));
  }
  return builtin !== undefined;
}

function inArchive(path: string): string | undefined {
  if (!path.startsWith(BUILTIN_ROOT)) return undefined;
  return path.slice(BUILTIN_ROOT.length).replace(/^\/+/, "").replace(/\/+$/, "");
}

/** An error shaped like node:fs's, so callers treat a missing built-in file like a missing file. */
function notFound(path: string): Error {
  return Object.assign(new Error(`no such file: ${path}`), { code: "ENOENT" });
}

export async function readText(path: string): Promise<string> {
  const key = inArchive(path);
  if (key === undefined) return readFileSync(path, "utf8");
  await hasBuiltin();
  const bytes = builtin?.get(key);
  if (!bytes) throw notFound(path);
  return new TextDecoder().decode(bytes);
}

/** The names directly inside a folder; throws when there is no such folder. */
export async function listDir(path: string): Promise<string[]> {
  const key = inArchive(path);
  if (key === undefined) return readdirSync(path);
  await hasBuiltin();
  const prefix = key ? `${key}/` : "";
  const names = new Set<string>();
  for (const name of builtin?.keys() ?? []) {
    if (name.startsWith(prefix)) names.add(name.slice(prefix.length).split("/")[0]);
  }
  if (!names.size) throw notFound(path);
  return [...names];
}

export async function pathExists(path: string): Promise<boolean> {
  const key = inArchive(path);
  if (key === undefined) {
    try {
      statSync(path);
      return true;
    } catch {
      return false;
    }
  }
  await hasBuiltin();
  if (!builtin) return false;
  if (builtin.has(key)) return true;
  const prefix = `${key}/`;
  for (const name of builtin.keys()) if (name.startsWith(prefix)) return true;
  return false;
}

function walk(dir: string, out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, out);
    else if (entry.isFile()) out.push(path);
  }
}

/**
 * The archive a binary carries: every recorded upstream fixture (`fixtures/upstream/…`) and every
 * scenario (`scenarios/*.json`) of the checkout at `root`, deflated. Entries are sorted and carry
 * a fixed time, so the same checkout gives the same bytes.
 */
export function bundleConformance(root: string): Uint8Array {
  const files: string[] = [];
  walk(join(root, "fixtures", "upstream"), files);
  const scenarios = join(root, "conformance", "scenarios");
  const entries: Record<string, [Uint8Array, { mtime: Date }]> = {};
  const mtime = new Date("2000-01-01T00:00:00Z");
  for (const file of files.sort()) {
    entries[relative(root, file)] = [readFileSync(file), { mtime }];
  }
  for (const name of readdirSync(scenarios).filter((n) => n.endsWith(".json")).sort()) {
    entries[`scenarios/${name}`] = [readFileSync(join(scenarios, name)), { mtime }];
  }
  return zipSync(entries, { level: 9 });
}
