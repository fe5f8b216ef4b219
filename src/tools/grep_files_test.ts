// The same table runs against ripgrep (when it is on PATH) and against the in-process search, so
// the fallback is held to rg's answers; rg's were checked against upstream 0.115.0's grep_files.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import process from "node:process";
import { existsSync } from "node:fs";
import { skipWhen } from "../testing/mod.ts";
import { grepFilesTool } from "./grep_files.ts";
import { ToolRegistry } from "./registry.ts";

const rgOnPath = (process.env.PATH ?? "").split(delimiter).map((dir) => join(dir, "rg"))
  .find((path) => existsSync(path));

async function fixture(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "tscodex-grep-"));
  const files: Array<[string, string, number]> = [
    ["notes.txt", "alpha\nbeta\n", 2020],
    ["sub/inner.txt", "inner beta\n", 2021],
    ["crlf.txt", "one\r\ntwo\r\n", 2022],
    ["sample.py", "return None\n", 2023],
    ["sub/deeper/leaf.txt", "leaf\n", 2019],
    [".hidden/secret.txt", "beta\n", 2024],
    ["ignored.log", "beta\n", 2024],
    [".gitignore", "*.log\n", 2024],
    ["binary.dat", "\0beta\n", 2024],
  ];
  for (const [path, content, year] of files) {
    await mkdir(join(dir, path, ".."), { recursive: true });
    await writeFile(join(dir, path), content);
    const time = new Date(`${year}-01-01T00:00:00Z`);
    await utimes(join(dir, path), time, time);
  }
  await symlink("notes.txt", join(dir, "link.txt"));
  execFileSync("git", ["init", "-q"], { cwd: dir });
  return dir;
}

function cases(dir: string): Array<[string, Record<string, unknown>, string]> {
  const paths = (...names: string[]) => names.map((name) => join(dir, name)).join("\n");
  return [
    [
      "newest first; hidden, ignored, binary and symlinked files skipped",
      { pattern: "beta", path: dir },
      paths("sub/inner.txt", "notes.txt"),
    ],
    ["the path defaults to the workdir", { pattern: "beta" }, paths("sub/inner.txt", "notes.txt")],
    [
      "a relative path resolves against the workdir",
      { pattern: "beta", path: "sub" },
      paths("sub/inner.txt"),
    ],
    ["limit", { pattern: "beta", path: dir, limit: 1 }, paths("sub/inner.txt")],
    ["include by file name", { pattern: "one", path: dir, include: "*.py" }, paths("sample.py")],
    [
      "include with braces",
      { pattern: "one", path: dir, include: "*.{txt,py}" },
      paths("sample.py", "crlf.txt"),
    ],
    ["include by path", { pattern: "beta", path: dir, include: "sub/**" }, paths("sub/inner.txt")],
    [
      "alternation",
      { pattern: "alpha|leaf", path: dir },
      paths("notes.txt", "sub/deeper/leaf.txt"),
    ],
    ["case matters", { pattern: "BETA", path: dir }, "No matches found."],
    ["a file as the path", { pattern: "beta", path: join(dir, "notes.txt") }, paths("notes.txt")],
    ["no match", { pattern: "zzzz_nothing", path: dir }, "No matches found."],
    ["empty pattern", { pattern: "  ", path: dir }, "pattern must not be empty"],
    ["limit zero", { pattern: "beta", limit: 0 }, "limit must be greater than zero"],
    [
      "missing path",
      { pattern: "beta", path: join(dir, "nope") },
      `unable to access \`${join(dir, "nope")}\`: No such file or directory (os error 2)`,
    ],
  ];
}

async function runTable(t: Deno.TestContext, rgPath: string | null): Promise<void> {
  const dir = await fixture();
  const registry = new ToolRegistry([grepFilesTool({ rgPath })]);
  try {
    for (const [name, args, expected] of cases(dir)) {
      await t.step(name, async () => {
        const item = await registry.run(
          {
            type: "function_call",
            call_id: "c",
            name: "grep_files",
            arguments: JSON.stringify(args),
          },
          { signal: new AbortController().signal, cwd: dir, callId: "c" },
        );
        assert.equal(item.output, expected);
      });
    }
  } finally {
    await rm(dir, { recursive: true });
  }
}

Deno.test({
  name: "grep_files with ripgrep",
  ignore: skipWhen(
    "grep_files against ripgrep",
    rgOnPath === undefined && "rg is not on PATH (apt-get install ripgrep)",
  ),
  fn: (t) => runTable(t, rgOnPath!),
});

Deno.test("grep_files without ripgrep", (t) => runTable(t, null));

Deno.test("grep_files without ripgrep: a bad pattern is reported", async () => {
  const registry = new ToolRegistry([grepFilesTool({ rgPath: null })]);
  const item = await registry.run(
    { type: "function_call", call_id: "c", name: "grep_files", arguments: '{"pattern":"("}' },
    { signal: new AbortController().signal, cwd: tmpdir(), callId: "c" },
  );
  assert.match(String(item.output), /^invalid regular expression: /);
});
