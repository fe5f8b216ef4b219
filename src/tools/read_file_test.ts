// Expected texts were recorded from upstream 0.115.0's read_file on the same files.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readFileTool } from "./read_file.ts";
import { ToolRegistry } from "./registry.ts";
import { makeFifo } from "../testing/mod.ts";

const SAMPLE = `import os

# Helper that does things.
class Greeter:
    """Says hello."""

    def __init__(self, name):
        self.name = name

    def greet(self):
        if self.name:
            message = "hello " + self.name
            print(message)

        return None

    def bye(self):
        print("bye")


def main():
    Greeter("x").greet()
`;

const numbered = (from: number, to: number) =>
  SAMPLE.split("\n").slice(from - 1, to).map((line, i) => `L${from + i}: ${line}`).join("\n");

const dir = await mkdtemp(join(tmpdir(), "tscodex-read-"));
await writeFile(join(dir, "sample.py"), SAMPLE);
await writeFile(join(dir, "long.txt"), "x".repeat(600) + "\n");
await writeFile(join(dir, "wide.txt"), "é".repeat(300) + "\n");
await writeFile(join(dir, "crlf.txt"), "one\r\ntwo\r\n");
await writeFile(join(dir, "bytes.bin"), new Uint8Array([0xff, 0xfe, 0x0a, 0x41]));
await writeFile(join(dir, "empty.txt"), "");
await mkdir(join(dir, "sub"));
// Named like files a model would read; neither may be waited on or read without end.
makeFifo(dir, "pipe.txt");
await symlink("/dev/zero", join(dir, "zero.txt"));

const registry = new ToolRegistry([readFileTool()]);

async function read(args: Record<string, unknown>): Promise<string> {
  const item = await registry.run(
    { type: "function_call", call_id: "c", name: "read_file", arguments: JSON.stringify(args) },
    { signal: new AbortController().signal, cwd: dir, callId: "c" },
  );
  return String(item.output);
}

const sample = join(dir, "sample.py");
const cases: Array<[string, Record<string, unknown>, string]> = [
  ["whole file by default", { file_path: sample }, numbered(1, 22)],
  ["offset and limit", { file_path: sample, offset: 3, limit: 2 }, numbered(3, 4)],
  ["offset past the end", { file_path: sample, offset: 100 }, "offset exceeds file length"],
  ["offset zero", { file_path: sample, offset: 0 }, "offset must be a 1-indexed line number"],
  ["limit zero", { file_path: sample, limit: 0 }, "limit must be greater than zero"],
  ["relative path", { file_path: "sample.py" }, "file_path must be an absolute path"],
  [
    "missing file",
    { file_path: join(dir, "missing.txt") },
    "failed to read file: No such file or directory (os error 2)",
  ],
  [
    "directory",
    { file_path: join(dir, "sub") },
    "failed to read file: Is a directory (os error 21)",
  ],
  [
    "a FIFO is refused, not waited on",
    { file_path: join(dir, "pipe.txt") },
    `failed to read file: \`${join(dir, "pipe.txt")}\` is not a regular file`,
  ],
  [
    "a device is refused, not read without end",
    { file_path: join(dir, "zero.txt"), limit: 1 },
    `failed to read file: \`${join(dir, "zero.txt")}\` is not a regular file`,
  ],
  ["empty file", { file_path: join(dir, "empty.txt") }, "offset exceeds file length"],
  ["lines are cut at 500 bytes", { file_path: join(dir, "long.txt") }, `L1: ${"x".repeat(500)}`],
  [
    "cuts fall on character boundaries",
    { file_path: join(dir, "wide.txt") },
    `L1: ${"é".repeat(250)}`,
  ],
  ["CRLF endings are dropped", { file_path: join(dir, "crlf.txt") }, "L1: one\nL2: two"],
  [
    "invalid UTF-8 shows as U+FFFD",
    { file_path: join(dir, "bytes.bin") },
    "L1: \uFFFD\uFFFD\nL2: A",
  ],
  [
    "indentation: all enclosing levels, header comment, closing sibling",
    { file_path: sample, mode: "indentation", offset: 13 },
    numbered(3, 22),
  ],
  [
    "indentation: one level up",
    { file_path: sample, mode: "indentation", offset: 13, indentation: { max_levels: 1 } },
    numbered(11, 15),
  ],
  [
    "indentation: siblings included",
    {
      file_path: sample,
      mode: "indentation",
      indentation: { anchor_line: 8, include_siblings: true },
    },
    numbered(1, 22),
  ],
  [
    "indentation: max_lines caps the block, blank edges trimmed",
    {
      file_path: sample,
      mode: "indentation",
      indentation: { anchor_line: 5, max_levels: 0, max_lines: 4 },
    },
    numbered(3, 5),
  ],
  [
    "indentation: no header comment when include_header is false",
    {
      file_path: sample,
      mode: "indentation",
      indentation: { anchor_line: 5, max_lines: 4, include_header: false },
    },
    numbered(4, 7),
  ],
  [
    "indentation: a limit of one returns the anchor",
    { file_path: sample, mode: "indentation", offset: 12, limit: 1 },
    numbered(12, 12),
  ],
  [
    "indentation: anchor past the end",
    { file_path: sample, mode: "indentation", indentation: { anchor_line: 99 } },
    "anchor_line exceeds file length",
  ],
  [
    "unknown mode",
    { file_path: sample, mode: "weird" },
    "failed to parse function arguments: unknown variant `weird`, expected `slice` or " +
    "`indentation` at `mode`",
  ],
];

Deno.test("read_file", async (t) => {
  try {
    for (const [name, args, expected] of cases) {
      await t.step(name, async () => assert.equal(await read(args), expected));
    }
  } finally {
    await rm(dir, { recursive: true });
  }
});
