// The shape of the source tree, checked: each folder is used through its mod.ts (tests may also
// use a folder's testing.ts), folders depend downward only, mod.ts files export by name, and a file
// name says what a module does wherever it sits.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * What each folder's product code may import, as in docs/ARCHITECTURE.md. A folder is `src/NAME`
 * (with its sub-folders), except `protocol/backends`, which loads apart from the Responses wire.
 */
const MAY_IMPORT: Record<string, string[]> = {
  "src/platform": [],
  "src/protocol": ["src/platform"],
  "src/protocol/backends": ["src/platform"],
  "src/system": ["src/platform"],
  "src/config": ["src/system", "src/platform"],
  "src/model": ["src/protocol", "src/config", "src/system", "src/platform"],
  "src/tools": ["src/protocol", "src/config", "src/system", "src/platform"],
  "src/session": ["src/protocol", "src/config", "src/system", "src/platform"],
  "src/mcp": ["src/tools", "src/protocol", "src/config", "src/system", "src/platform"],
  "src/fake": ["src/protocol", "src/platform"],
  "src/portable": ["src/platform"],
  "src/serve": ["src/protocol", "src/protocol/backends", "src/platform"],
  "src/agent": [
    "src/model",
    "src/tools",
    "src/session",
    "src/protocol",
    "src/config",
    "src/system",
    "src/platform",
  ],
  "src/feishu": ["src/agent", "src/protocol", "src/platform"],
  "conformance": [
    "src/serve",
    "src/fake",
    "src/session",
    "src/protocol",
    "src/config",
    "src/system",
    "src/platform",
  ],
  "src/cli": [
    "conformance",
    "src/agent",
    "src/serve",
    "src/fake",
    "src/portable",
    "src/feishu",
    "src/mcp",
    "src/model",
    "src/tools",
    "src/session",
    "src/protocol",
    "src/config",
    "src/system",
    "src/platform",
  ],
  // Test support shared by every folder's tests; never imported by product code.
  "src/testing": [],
};

/** File names that name a role every folder may have, not a module's subject. */
const ROLE_NAMES = new Set(["mod.ts", "errors.ts", "schema.ts", "testing.ts"]);

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => relative(root, join(e.parentPath, e.name)))
    .sort();
}

const files = [...sourceFiles("src"), ...sourceFiles("conformance"), ...sourceFiles("scripts")];

/** The folder a file belongs to; undefined for scripts, which are entry points, not folders. */
function folderOf(file: string): string | undefined {
  if (file.startsWith("src/protocol/backends/")) return "src/protocol/backends";
  const parts = file.split("/");
  if (parts[0] === "src") return parts.length > 2 ? `src/${parts[1]}` : undefined;
  if (parts[0] === "conformance") return "conformance";
  return undefined;
}

const isTestSupport = (file: string) =>
  /(_test|(^|_)testing)\.ts$/.test(basename(file)) || file.includes("/testdata/") ||
  file.startsWith("src/testing/") || file.startsWith("scripts/");

interface Import {
  from: string;
  to: string;
}

function importsOf(file: string): Import[] {
  const text = readFileSync(join(root, file), "utf8");
  const specifiers = [
    ...text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s*["'](\.{1,2}\/[^"']+)["']/gms),
    ...text.matchAll(/\bimport\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g),
  ].map((m) => m[1]);
  return specifiers.map((s) => ({ from: file, to: normalize(join(dirname(file), s)) }));
}

const imports = files.flatMap(importsOf);
const show = (i: Import) => `${i.from} imports ${i.to}`;

Deno.test("every folder is used through its mod.ts, or by tests through its testing.ts", () => {
  const deep = imports.filter((i) => {
    const target = folderOf(i.to);
    if (target === undefined || target === folderOf(i.from)) return false;
    if (i.to === `${target}/mod.ts`) return false;
    return !(i.to === `${target}/testing.ts` && isTestSupport(i.from));
  });
  assert.deepEqual(
    deep.map(show),
    [],
    "import another folder through its mod.ts (export the name there) or, from a test, its testing.ts",
  );
});

Deno.test("product code depends downward only and never on test support", () => {
  const upward = imports.filter((i) => {
    const from = folderOf(i.from);
    const to = folderOf(i.to);
    if (from === undefined || to === undefined || from === to || isTestSupport(i.from)) {
      return false;
    }
    if (isTestSupport(i.to)) return true;
    return !(MAY_IMPORT[from] ?? []).includes(to);
  });
  assert.deepEqual(upward.map(show), [], "see MAY_IMPORT in src/layout_test.ts");
});

Deno.test("every folder is placed in the layer table", () => {
  const folders = new Set(files.map(folderOf).filter((f): f is string => f !== undefined));
  const unplaced = [...folders].filter((f) => !(f in MAY_IMPORT));
  assert.deepEqual(unplaced, [], "add the new folder to MAY_IMPORT with the folders it may use");
});

Deno.test("mod.ts files export by name", () => {
  const star = files.filter((f) => basename(f) === "mod.ts")
    .filter((f) => /^export\s+(type\s+)?\*/m.test(readFileSync(join(root, f), "utf8")));
  assert.deepEqual(star, [], "list the names others use instead of `export *`");
});

Deno.test("no two modules share a file name, apart from role names (mod, errors, schema, testing)", () => {
  const byName = new Map<string, string[]>();
  for (const f of files.filter((f) => !f.startsWith("scripts/"))) {
    if (ROLE_NAMES.has(basename(f).replace(/_test\.ts$/, ".ts"))) continue;
    byName.set(basename(f), [...(byName.get(basename(f)) ?? []), f]);
  }
  const clashes = [...byName.values()].filter((paths) => paths.length > 1);
  assert.deepEqual(clashes, [], "name each module for what it does");
});
