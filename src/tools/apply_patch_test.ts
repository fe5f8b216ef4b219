import assert from "node:assert/strict";
import {
  chmod,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyPatchFunctionTool, applyPatchTool, runApplyPatch } from "./apply_patch.ts";
import { parsePatch } from "./patch_parser.ts";
import { type ToolContext, type ToolEvent, ToolRegistry } from "./registry.ts";
import { makeFifo, within } from "../testing/mod.ts";

type Files = Record<string, string>;

async function withDir(files: Files, body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "tscodex-patch-"));
  try {
    for (const [path, content] of Object.entries(files)) {
      await mkdir(join(dir, path, ".."), { recursive: true });
      await writeFile(join(dir, path), content);
    }
    await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Every file under `dir` (dot-files included) with its content. */
async function snapshot(dir: string): Promise<Files> {
  const out: Files = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out[path.slice(dir.length + 1)] = await readFile(path, "utf8");
  }
  return out;
}

function context(dir: string, extra: Partial<ToolContext> = {}): ToolContext {
  return { signal: new AbortController().signal, cwd: dir, callId: "call_1", ...extra };
}

const registry = new ToolRegistry([applyPatchTool()]);

async function patch(dir: string, input: string, extra: Partial<ToolContext> = {}) {
  const item = await registry.run(
    { type: "custom_tool_call", call_id: "call_1", name: "apply_patch", input },
    context(dir, extra),
  );
  assert.equal(item.type, "custom_tool_call_output");
  return String(item.output).replace(/^Wall time: \d+(\.\d)? seconds$/m, "Wall time: 0 seconds");
}

const wrap = (body: string) => `*** Begin Patch\n${body}*** End Patch\n`;
const success = (...lines: string[]) =>
  `Exit code: 0\nWall time: 0 seconds\nOutput:\nSuccess. Updated the following files:\n${
    lines.join("\n")
  }\n`;

const multi = "line1\nline2\nline3\nline4\nline5\nline6\nline7\nline8\nline9\n";

const cases: Array<{ name: string; files: Files; patch: string; output: string; after: Files }> = [
  {
    name: "add, update with two hunks and delete in one patch",
    files: { "multi.txt": multi, "gone.txt": "bye\n" },
    patch: wrap(
      "*** Update File: multi.txt\n@@\n-line2\n+LINE2\n@@ line5\n line6\n-line7\n+LINE7\n" +
        "*** Add File: new/added.txt\n+fresh\n+lines\n*** Delete File: gone.txt\n",
    ),
    output: success("A new/added.txt", "M multi.txt", "D gone.txt"),
    after: {
      "multi.txt": multi.replace("line2", "LINE2").replace("line7", "LINE7"),
      "new/added.txt": "fresh\nlines\n",
    },
  },
  {
    name: "update one file and add another (upstream's files and summary)",
    files: { "README.md": "# demo\n" },
    patch: wrap(
      "*** Update File: README.md\n@@\n # demo\n+\n+More text.\n*** Add File: notes.txt\n+first note\n",
    ),
    output: success("A notes.txt", "M README.md"),
    after: { "README.md": "# demo\n\nMore text.\n", "notes.txt": "first note\n" },
  },
  {
    name: "move to a new directory",
    files: { "src.txt": "old\n" },
    patch: wrap("*** Update File: src.txt\n*** Move to: moved/dst.txt\n@@\n-old\n+new\n"),
    output: success("M moved/dst.txt"),
    after: { "moved/dst.txt": "new\n" },
  },
  {
    name: "End of File anchors the change to the last occurrence",
    files: { "eof.txt": "end\nmid\nend\n" },
    patch: wrap("*** Update File: eof.txt\n@@\n-end\n+END\n*** End of File\n"),
    output: success("M eof.txt"),
    after: { "eof.txt": "end\nmid\nEND\n" },
  },
  {
    name: "an @@ header picks the occurrence after it",
    files: { "dup.txt": "first\nx\nsecond\nx\n" },
    patch: wrap("*** Update File: dup.txt\n@@ second\n-x\n+X\n"),
    output: success("M dup.txt"),
    after: { "dup.txt": "first\nx\nsecond\nX\n" },
  },
  {
    name: "matching ignores trailing, then surrounding whitespace",
    files: { "ws.txt": "keep me   \n", "ws2.txt": "   indented  \n" },
    patch: wrap(
      "*** Update File: ws.txt\n@@\n-keep me\n+kept\n" +
        "*** Update File: ws2.txt\n@@\n-indented\n+INDENTED\n",
    ),
    output: success("M ws.txt", "M ws2.txt"),
    after: { "ws.txt": "kept\n", "ws2.txt": "INDENTED\n" },
  },
  {
    name: "typographic dashes match ASCII ones",
    files: { "uni.txt": "a \u2013 b\n" },
    patch: wrap("*** Update File: uni.txt\n@@\n-a - b\n+a + b\n"),
    output: success("M uni.txt"),
    after: { "uni.txt": "a + b\n" },
  },
  {
    name: "CRLF files keep CRLF",
    files: { "crlf.txt": "one\r\ntwo\r\n" },
    patch: wrap("*** Update File: crlf.txt\n@@\n-two\n+TWO\n+three\n"),
    output: success("M crlf.txt"),
    after: { "crlf.txt": "one\r\nTWO\r\nthree\r\n" },
  },
  {
    name: "CRLF files without a final newline keep their last line",
    files: { "crlf.txt": "one\r\ntwo" },
    patch: wrap("*** Update File: crlf.txt\n@@\n-one\n+ONE\n"),
    output: success("M crlf.txt"),
    after: { "crlf.txt": "ONE\r\ntwo\r\n" },
  },
  {
    name: "a file without a final newline gets one",
    files: { "nonl.txt": "first\nlast" },
    patch: wrap("*** Update File: nonl.txt\n@@\n-last\n+LAST\n"),
    output: success("M nonl.txt"),
    after: { "nonl.txt": "first\nLAST\n" },
  },
  {
    name: "a chunk with only added lines appends them",
    files: { "ins.txt": "i\n" },
    patch: wrap("*** Update File: ins.txt\n@@\n+inserted\n"),
    output: success("M ins.txt"),
    after: { "ins.txt": "i\ninserted\n" },
  },
  {
    name: "the first chunk may omit its @@ line",
    files: { "nohdr.txt": "a\n" },
    patch: wrap("*** Update File: nohdr.txt\n-a\n+b\n"),
    output: success("M nohdr.txt"),
    after: { "nohdr.txt": "b\n" },
  },
  {
    name: "Add File over an existing file replaces it",
    files: { "notes.txt": "alpha\n" },
    patch: wrap("*** Add File: notes.txt\n+replaced\n"),
    output: success("A notes.txt"),
    after: { "notes.txt": "replaced\n" },
  },
  {
    name: "summary lists adds, then updates, then deletes",
    files: { "d.txt": "d\n", "m.txt": "m\n" },
    patch: wrap(
      "*** Delete File: d.txt\n*** Add File: a.txt\n+a\n*** Update File: m.txt\n@@\n-m\n+M\n",
    ),
    output: success("A a.txt", "M m.txt", "D d.txt"),
    after: { "a.txt": "a\n", "m.txt": "M\n" },
  },
  {
    name: "a heredoc wrapper, padded markers and a missing final newline are accepted",
    files: {},
    patch: "<<'EOF'\n  *** Begin Patch\n*** Add File: h.txt\n+h\n*** End Patch  \nEOF",
    output: success("A h.txt"),
    after: { "h.txt": "h\n" },
  },
  {
    name: "later hunks see earlier ones",
    files: {},
    patch: wrap("*** Add File: a.txt\n+one\n*** Update File: a.txt\n@@\n-one\n+two\n"),
    output: success("A a.txt", "M a.txt"),
    after: { "a.txt": "two\n" },
  },
];

for (const c of cases) {
  Deno.test(`apply_patch: ${c.name}`, () =>
    withDir(c.files, async (dir) => {
      assert.equal(await patch(dir, c.patch), c.output);
      assert.deepEqual(await snapshot(dir), c.after);
    }));
}

const failures: Array<
  { name: string; files: Files; patch: string; output: (dir: string) => string }
> = [
  {
    name: "context mismatch",
    files: { "multi.txt": multi },
    patch: wrap(
      "*** Add File: should_not_exist.txt\n+x\n*** Update File: multi.txt\n@@\n-nope\n+y\n",
    ),
    output: (dir) =>
      `apply_patch verification failed: Failed to find expected lines in ${dir}/multi.txt:\nnope`,
  },
  {
    name: "missing @@ context line",
    files: { "multi.txt": multi },
    patch: wrap("*** Update File: multi.txt\n@@ no such line\n-line1\n+x\n"),
    output: (dir) =>
      `apply_patch verification failed: Failed to find context 'no such line' in ${dir}/multi.txt`,
  },
  {
    name: "update of a missing file",
    files: {},
    patch: wrap("*** Update File: missing.txt\n@@\n-a\n+b\n"),
    output: (dir) =>
      `apply_patch verification failed: Failed to read file to update ${dir}/missing.txt: ` +
      "No such file or directory (os error 2)",
  },
  {
    name: "delete of a missing file",
    files: {},
    patch: wrap("*** Delete File: nothere.txt\n"),
    output: (dir) =>
      `apply_patch verification failed: Failed to read ${dir}/nothere.txt: ` +
      "No such file or directory (os error 2)",
  },
  {
    name: "delete of a directory",
    files: { "new/x.txt": "x\n" },
    patch: wrap("*** Delete File: new\n"),
    output: (dir) =>
      `apply_patch verification failed: Failed to read ${dir}/new: Is a directory (os error 21)`,
  },
  {
    name: "no Begin Patch",
    files: {},
    patch: "*** Add File: x.txt\n+x\n*** End Patch\n",
    output: () =>
      "apply_patch verification failed: invalid patch: The first line of the patch must be " +
      "'*** Begin Patch'",
  },
  {
    name: "no End Patch",
    files: {},
    patch: "*** Begin Patch\n*** Add File: q.txt\n+q\n",
    output: () =>
      "apply_patch verification failed: invalid patch: The last line of the patch must be " +
      "'*** End Patch'",
  },
  {
    name: "empty patch",
    files: {},
    patch: "*** Begin Patch\n*** End Patch\n",
    output: () => "patch rejected: empty patch",
  },
  {
    name: "line without a diff marker",
    files: { "multi.txt": multi },
    patch: wrap("*** Update File: multi.txt\n@@\n line1\nbogus\n"),
    output: () =>
      "apply_patch verification failed: invalid hunk at line 5, Expected update hunk to start " +
      "with a @@ context marker, got: 'bogus'",
  },
  {
    name: "unknown hunk header",
    files: {},
    patch: wrap("*** Frobnicate File: x\n"),
    output: () =>
      "apply_patch verification failed: invalid hunk at line 2, '*** Frobnicate File: x' is " +
      "not a valid hunk header. Valid hunk headers: '*** Add File: {path}', " +
      "'*** Delete File: {path}', '*** Update File: {path}'",
  },
  {
    name: "update without chunks",
    files: { "multi.txt": multi },
    patch: wrap("*** Update File: multi.txt\n"),
    output: () =>
      "apply_patch verification failed: invalid hunk at line 2, Update file hunk for path " +
      "'multi.txt' is empty",
  },
];

for (const f of failures) {
  Deno.test(`apply_patch: ${f.name} is reported and changes nothing`, () =>
    withDir(f.files, async (dir) => {
      assert.equal(await patch(dir, f.patch), f.output(dir));
      assert.deepEqual(await snapshot(dir), f.files);
    }));
}

Deno.test("apply_patch: an empty line inside a chunk is an empty context line", () =>
  withDir({ "multi.txt": multi }, async (dir) => {
    const output = await patch(
      dir,
      wrap("*** Update File: multi.txt\n@@\n line1\n\n-line2\n+L2\n"),
    );
    assert.equal(
      output,
      `apply_patch verification failed: Failed to find expected lines in ${dir}/multi.txt:\n` +
        "line1\n\nline2",
    );
  }));

Deno.test("apply_patch: a failed write rolls back the files already replaced", () =>
  withDir({ "a.txt": "a\n", "blocker/inside.txt": "keep\n" }, async (dir) => {
    // Renaming a file over a non-empty directory fails after a.txt has been replaced.
    const output = await patch(
      dir,
      wrap("*** Update File: a.txt\n@@\n-a\n+A\n*** Add File: blocker\n+x\n"),
    );
    assert.equal(
      output,
      `Exit code: 1\nWall time: 0 seconds\nOutput:\nFailed to write file ${dir}/blocker: ` +
        "Is a directory (os error 21)\n",
    );
    assert.deepEqual(await snapshot(dir), { "a.txt": "a\n", "blocker/inside.txt": "keep\n" });
  }));

Deno.test("apply_patch: new parent directories are removed when the patch fails", () =>
  withDir({ "file": "f\n", "dir/inside.txt": "keep\n" }, async (dir) => {
    await patch(dir, wrap("*** Add File: deep/er/new.txt\n+n\n*** Add File: dir\n+x\n"));
    assert.deepEqual((await readdir(dir)).sort(), ["dir", "file"]);
  }));

Deno.test("apply_patch: updates keep the file mode and write through symlinks", () =>
  withDir({ "run.sh": "echo a\n", "real.txt": "r\n" }, async (dir) => {
    await chmod(join(dir, "run.sh"), 0o755);
    await symlink("real.txt", join(dir, "link.txt"));
    const output = await patch(
      dir,
      wrap(
        "*** Update File: run.sh\n@@\n-echo a\n+echo b\n*** Update File: link.txt\n@@\n-r\n+R\n",
      ),
    );
    assert.equal(output, success("M run.sh", "M link.txt"));
    assert.equal((await stat(join(dir, "run.sh"))).mode & 0o777, 0o755);
    assert.equal(await readFile(join(dir, "real.txt"), "utf8"), "R\n");
    assert.equal(await readFile(join(dir, "link.txt"), "utf8"), "R\n");
  }));

Deno.test("apply_patch: absolute paths are accepted and echoed as written", () =>
  withDir({ "abs.txt": "abs\n" }, async (dir) => {
    const output = await patch(dir, wrap(`*** Update File: ${dir}/abs.txt\n@@\n-abs\n+ABS\n`));
    assert.equal(output, success(`M ${dir}/abs.txt`));
  }));

Deno.test("apply_patch: the sandbox decides which writes are allowed", () =>
  withDir({ "a.txt": "a\n" }, async (dir) => {
    const rejected = "patch rejected: writing outside of the project; rejected by user approval " +
      "settings";
    const add = wrap("*** Add File: b.txt\n+b\n");
    assert.equal(await patch(dir, add, { sandbox: { mode: "read-only" } }), rejected);
    const elsewhere = wrap(`*** Add File: /proc/tscodex-nowhere/b.txt\n+b\n`);
    assert.equal(await patch(dir, elsewhere, { sandbox: { mode: "workspace-write" } }), rejected);
    assert.deepEqual(await snapshot(dir), { "a.txt": "a\n" });
    assert.equal(
      await patch(dir, add, { sandbox: { mode: "workspace-write" } }),
      success("A b.txt"),
    );
  }));

Deno.test("apply_patch: reports applied changes to the UI with absolute paths", () =>
  withDir({ "m.txt": "m\n", "d.txt": "d\n" }, async (dir) => {
    const events: ToolEvent[] = [];
    await patch(
      dir,
      wrap(
        "*** Add File: a.txt\n+a\n*** Update File: m.txt\n*** Move to: n.txt\n@@\n-m\n+n\n" +
          "*** Delete File: d.txt\n",
      ),
      { onEvent: (event) => events.push(event) },
    );
    assert.deepEqual(events, [{
      type: "patch_applied",
      callId: "call_1",
      changes: [
        { path: join(dir, "a.txt"), kind: "add" },
        // A move is reported under the file's old path, as upstream 0.115.0 reports it.
        { path: join(dir, "m.txt"), kind: "update" },
        { path: join(dir, "d.txt"), kind: "delete" },
      ],
    }]);
  }));

Deno.test("apply_patch: a FIFO or a device to update is refused, not waited on or read without end", () =>
  withDir({}, async (dir) => {
    makeFifo(dir, "pipe.txt");
    await symlink("/dev/zero", join(dir, "zero.txt"));
    for (const name of ["pipe.txt", "zero.txt"]) {
      assert.equal(
        await within(
          patch(dir, wrap(`*** Update File: ${name}\n@@\n-a\n+b\n`)),
          `apply_patch on ${name} to answer`,
        ),
        `apply_patch verification failed: Failed to read file to update ${join(dir, name)}: ` +
          `\`${join(dir, name)}\` is not a regular file`,
      );
    }
  }));

Deno.test("apply_patch: an interrupted call writes nothing", () =>
  withDir({}, async (dir) => {
    const controller = new AbortController();
    controller.abort();
    const ctx = context(dir, { signal: controller.signal });
    assert.equal(await runApplyPatch(wrap("*** Add File: a.txt\n+a\n"), ctx), "aborted");
    assert.deepEqual(await snapshot(dir), {});
  }));

Deno.test("apply_patch: the JSON function variant takes the patch as `input`", () =>
  withDir({}, async (dir) => {
    const json = new ToolRegistry([applyPatchFunctionTool()]);
    const item = await json.run({
      type: "function_call",
      call_id: "call_9",
      name: "apply_patch",
      arguments: JSON.stringify({ input: wrap("*** Add File: hello.txt\n+hi\n") }),
    }, context(dir));
    assert.equal(item.type, "function_call_output");
    assert.match(String(item.output), /Success\. Updated the following files:\nA hello\.txt\n$/);
    assert.deepEqual(await snapshot(dir), { "hello.txt": "hi\n" });
  }));

Deno.test("patch parser: hunks, moves, contexts and end-of-file markers", () => {
  assert.deepEqual(
    parsePatch(wrap(
      "*** Add File: path/add.py\n+abc\n+def\n*** Delete File: path/delete.py\n" +
        "*** Update File: path/update.py\n*** Move to: path/update2.py\n@@ def f():\n" +
        "-    pass\n+    return 123\n\n@@\n x\n-y\n*** End of File\n",
    )),
    [
      { kind: "add", path: "path/add.py", contents: "abc\ndef\n" },
      { kind: "delete", path: "path/delete.py" },
      {
        kind: "update",
        path: "path/update.py",
        moveTo: "path/update2.py",
        chunks: [
          {
            context: "def f():",
            oldLines: ["    pass", ""],
            newLines: ["    return 123", ""],
            endOfFile: false,
          },
          { context: undefined, oldLines: ["x", "y"], newLines: ["x"], endOfFile: true },
        ],
      },
    ],
  );
});
