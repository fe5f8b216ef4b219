// Where the harness reads scenarios and fixtures from: a folder on disk, or the archive built into
// the compiled binary (paths under `builtin:`), so the binary alone, copied anywhere, replays what
// it carries. Readers take paths either way; only this module knows the difference.
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import process from "node:process";
import { brotliCompressSync, brotliDecompressSync, constants } from "node:zlib";
import { embeddedFile } from "../src/platform/mod.ts";
import { cacheRoot } from "./upstream.ts";

/** The root of the built-in tree: `builtin:/fixtures/…` and `builtin:/scenarios/…`. */
export const BUILTIN_ROOT = "builtin:";
/** The archive's name among the files `bun build --compile` embeds (scripts/build.ts). */
export const BUNDLE_NAME = "conformance.br";

/**
 * The archive: one brotli stream of a JSON index (`[[name, length], …]`), a newline, then every
 * file's bytes in index order. Recordings repeat each other heavily, and one stream with a 16 MiB
 * window compresses them together (15 MB of fixtures to under 100 KB, where a zip of separately
 * deflated files takes 3.9 MB) and unpacks with the runtime's native brotli in one call.
 */
export function packTree(files: Array<[string, Uint8Array]>): Uint8Array {
  const index = new TextEncoder().encode(
    JSON.stringify(files.map(([name, bytes]) => [name, bytes.length])) + "\n",
  );
  const raw = Buffer.concat([index, ...files.map(([, bytes]) => bytes)]);
  return brotliCompressSync(raw, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 7,
      [constants.BROTLI_PARAM_LGWIN]: 24,
      [constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
    },
  });
}

export function unpackTree(archive: Uint8Array): Map<string, Uint8Array> {
  const raw = new Uint8Array(brotliDecompressSync(archive));
  const newline = raw.indexOf(10);
  const index = JSON.parse(new TextDecoder().decode(raw.subarray(0, newline))) as Array<
    [string, number]
  >;
  const files = new Map<string, Uint8Array>();
  let at = newline + 1;
  for (const [name, length] of index) {
    files.set(name, raw.subarray(at, at + length));
    at += length;
  }
  return files;
}

let builtin: Map<string, Uint8Array> | undefined;
/** A digest of the built-in tree: the name of its copy on disk. */
let builtinDigest = "";
let probed = false;

/** Makes `archive` the built-in tree; tests use it to stand in for a binary. */
export function mountBuiltin(archive: Uint8Array | undefined): void {
  builtin = archive ? unpackTree(archive) : undefined;
  builtinDigest = archive ? createHash("sha256").update(archive).digest("hex").slice(0, 16) : "";
  probed = true;
}

/** Whether this program carries the built-in tree (unpacked on first use). */
export async function hasBuiltin(): Promise<boolean> {
  if (!probed) mountBuiltin(await embeddedFile(BUNDLE_NAME));
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

/**
 * A folder on disk holding `path`: the path itself, or for a built-in folder a copy of it under
 * the cache (made once per built-in tree). Programs a scenario starts (its MCP servers) need real
 * files.
 */
export async function realFolder(path: string): Promise<string> {
  const key = inArchive(path);
  if (key === undefined || !(await hasBuiltin())) return path;
  const target = join(cacheRoot(), "builtin", builtinDigest, key);
  if (await pathExists(target)) return target;
  // Written beside, then renamed: a run that stops halfway leaves no partial copy behind.
  const partial = `${target}.${process.pid}.partial`;
  await rm(partial, { recursive: true, force: true });
  for (const [name, bytes] of builtin!) {
    if (!name.startsWith(`${key}/`)) continue;
    const file = join(partial, name.slice(key.length + 1));
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, bytes);
  }
  await mkdir(dirname(target), { recursive: true });
  try {
    await rename(partial, target);
  } catch (err) {
    // Another run made the same copy first.
    await rm(partial, { recursive: true, force: true });
    if (!(await pathExists(target))) throw err;
  }
  return target;
}

function walk(dir: string, out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, out);
    else if (entry.isFile()) out.push(path);
  }
}

/**
 * The archive a binary carries: every recorded upstream fixture (`fixtures/upstream/…`) and
 * everything under `conformance/scenarios/` (as `scenarios/…`) of the checkout at `root`. A helper
 * program kept beside the scenarios (a `.mjs`/`.js`/`.ts` an MCP server config runs) goes through
 * `bundleScript`, so that it needs no `node_modules` where it is unpacked. Files are in sorted
 * order, so the same checkout gives the same bytes.
 */
export function bundleConformance(
  root: string,
  bundleScript: (file: string) => Uint8Array = readFileSync,
): Uint8Array {
  const entries: Array<[string, Uint8Array]> = [];
  const fixtures: string[] = [];
  walk(join(root, "fixtures", "upstream"), fixtures);
  for (const file of fixtures.sort()) entries.push([relative(root, file), readFileSync(file)]);
  const scenarios = join(root, "conformance", "scenarios");
  const files: string[] = [];
  walk(scenarios, files);
  for (const file of files.sort()) {
    const bytes = /\.(mjs|js|ts)$/.test(file) ? bundleScript(file) : readFileSync(file);
    entries.push([`scenarios/${relative(scenarios, file)}`, bytes]);
  }
  return packTree(entries);
}
