// Expected texts follow upstream 0.115.0's list_dir output recorded on a similar tree.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listDirTool } from "./list_dir.ts";
import { ToolRegistry } from "./registry.ts";

const registry = new ToolRegistry([listDirTool()]);

Deno.test("list_dir", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "tscodex-list-"));
  const list = async (args: Record<string, unknown>) =>
    String(
      (await registry.run(
        { type: "function_call", call_id: "c", name: "list_dir", arguments: JSON.stringify(args) },
        { signal: new AbortController().signal, cwd: dir, callId: "c" },
      )).output,
    );
  try {
    for (
      const file of ["big.txt", "crlf.txt", "notes.txt", "sub/inner.txt", "sub/deeper/leaf.txt"]
    ) {
      await mkdir(join(dir, file, ".."), { recursive: true });
      await writeFile(join(dir, file), "x\n");
    }
    await mkdir(join(dir, "empty"));
    await symlink("notes.txt", join(dir, "link.txt"));
    const header = `Absolute path: ${dir}`;
    const cases: Array<[string, Record<string, unknown>, string[] | string]> = [
      ["two levels by default, sorted by path, with type markers", { dir_path: dir }, [
        "big.txt",
        "crlf.txt",
        "empty/",
        "link.txt@",
        "notes.txt",
        "sub/",
        "  deeper/",
        "  inner.txt",
      ]],
      ["depth 3 reaches the leaves", { dir_path: dir, depth: 3, offset: 6 }, [
        "sub/",
        "  deeper/",
        "    leaf.txt",
        "  inner.txt",
      ]],
      ["offset and limit page through entries", { dir_path: dir, depth: 1, offset: 2, limit: 3 }, [
        "crlf.txt",
        "empty/",
        "link.txt@",
        "More than 3 entries found",
      ]],
      [
        "an empty directory lists nothing",
        { dir_path: join(dir, "empty") },
        `Absolute path: ${join(dir, "empty")}`,
      ],
      [
        "offset past the end",
        { dir_path: dir, offset: 100 },
        "offset exceeds directory entry count",
      ],
      ["relative path", { dir_path: "sub" }, "dir_path must be an absolute path"],
      ["depth zero", { dir_path: dir, depth: 0 }, "depth must be greater than zero"],
      ["offset zero", { dir_path: dir, offset: 0 }, "offset must be a 1-indexed entry number"],
      ["limit zero", { dir_path: dir, limit: 0 }, "limit must be greater than zero"],
      [
        "missing directory",
        { dir_path: join(dir, "nope") },
        "failed to read directory: No such file or directory (os error 2)",
      ],
    ];
    for (const [name, args, expected] of cases) {
      await t.step(name, async () => {
        const want = Array.isArray(expected) ? [header, ...expected].join("\n") : expected;
        assert.equal(await list(args), want);
      });
    }
  } finally {
    await rm(dir, { recursive: true });
  }
});
