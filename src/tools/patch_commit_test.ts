// apply_patch's writes under attack and under kill -9, made deterministic: a hook that runs
// between the check and the writes swaps folders for links at the worst moment, and a child
// process is SIGKILLed while it waits at a known file of its patch.
import assert from "node:assert/strict";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { applyHunks } from "./patch_apply.ts";
import { recoverInterruptedPatches } from "./patch_commit.ts";
import { parsePatch } from "./patch_parser.ts";
import type { SandboxPolicy } from "./sandbox.ts";
import { killMidPatch } from "./testing.ts";

interface Bench {
  /** The workspace (a real path). */
  work: string;
  /** A folder outside it, which no patch may write. */
  outside: string;
  journal: string;
}

async function withBench(fn: (bench: Bench) => Promise<void>): Promise<void> {
  const root = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "tscodex-commit-" }));
  const bench = {
    work: join(root, "work"),
    outside: join(root, "outside"),
    journal: join(root, "journal"),
  };
  mkdirSync(bench.work);
  mkdirSync(bench.outside);
  try {
    await fn(bench);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** Every file and link under `dir` (dot-files included), with file contents. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name).slice(dir.length + 1);
    if (entry.isFile()) out[path] = readFileSync(join(dir, path), "utf8");
    else if (entry.isSymbolicLink()) out[path] = "(link)";
  }
  return out;
}

const WORKSPACE_ONLY: SandboxPolicy = {
  mode: "workspace-write",
  excludeSlashTmp: true,
  excludeTmpdirEnvVar: true,
};

/** Applies `patch` in the bench's workspace under workspace-write, with `beforeStep`. */
function apply(bench: Bench, patch: string, beforeStep?: (index: number) => void) {
  return applyHunks(parsePatch(patch), {
    cwd: bench.work,
    sandbox: WORKSPACE_ONLY,
    journalDir: bench.journal,
    beforeStep,
  });
}

/** Turns `dir` (in the workspace) into a link to the outside folder, keeping its files aside. */
function swapForLink(bench: Bench, dir: string): void {
  renameSync(join(bench.work, dir), join(bench.work, `${dir}.moved`));
  symlinkSync(bench.outside, join(bench.work, dir));
}

Deno.test("a folder swapped for a link between the check and the writes is not followed", () =>
  withBench(async (bench) => {
    mkdirSync(join(bench.work, "sub", "deeper"), { recursive: true });
    const patch = "*** Begin Patch\n*** Add File: sub/deeper/a.txt\n+a\n" +
      "*** Add File: sub/deeper/b.txt\n+b\n*** End Patch\n";
    // The link appears after a.txt was written: b.txt goes where a.txt went — the folder the
    // patch opened, wherever it was moved — never through the link.
    await apply(bench, patch, (index) => {
      if (index === 1) swapForLink(bench, "sub");
    });
    assert.deepEqual(tree(bench.outside), {});
    assert.deepEqual(tree(join(bench.work, "sub.moved")), {
      "deeper/a.txt": "a\n",
      "deeper/b.txt": "b\n",
    });
    // A link swapped in before the first write: nothing is written anywhere.
    rmSync(join(bench.work, "sub"));
    rmSync(join(bench.work, "sub.moved"), { recursive: true });
    mkdirSync(join(bench.work, "sub", "deeper"), { recursive: true });
    await assert.rejects(
      apply(bench, patch, (index) => {
        if (index === 0) swapForLink(bench, "sub");
      }),
      /Failed to create parent directories for .*sub\/deeper\/a\.txt: Not a directory/,
    );
    assert.deepEqual(tree(bench.outside), {});
    assert.deepEqual(tree(join(bench.work, "sub.moved")), {});
    assert.deepEqual(readdirSync(bench.journal), []);
  }));

Deno.test("a file swapped for a link before it is written is not written through", () =>
  withBench(async (bench) => {
    writeFileSync(join(bench.work, "f.txt"), "old\n");
    writeFileSync(join(bench.outside, "target.txt"), "outside\n");
    const patch = "*** Begin Patch\n*** Update File: f.txt\n@@\n-old\n+new\n*** End Patch\n";
    await assert.rejects(
      apply(bench, patch, () => {
        unlinkSync(join(bench.work, "f.txt"));
        symlinkSync(join(bench.outside, "target.txt"), join(bench.work, "f.txt"));
      }),
      /Failed to write file .*f\.txt: Too many levels of symbolic links/,
    );
    assert.deepEqual(tree(bench.outside), { "target.txt": "outside\n" });
  }));

Deno.test("a link deleted by a patch is judged where it is, not where it points", () =>
  withBench(async (bench) => {
    writeFileSync(join(bench.outside, "target.txt"), "outside\n");
    symlinkSync(join(bench.work, "inside.txt"), join(bench.outside, "link.txt"));
    writeFileSync(join(bench.work, "inside.txt"), "in\n");
    await assert.rejects(
      apply(bench, `*** Begin Patch\n*** Delete File: ${bench.outside}/link.txt\n*** End Patch\n`),
      /patch rejected: writing outside of the project/,
    );
    assert.deepEqual(tree(bench.outside), { "link.txt": "(link)", "target.txt": "outside\n" });
  }));

const FILES = 30;
const KILL_AT = 24;

/** A patch updating f00…f29 and adding new/dir/added.txt (written last but one). */
function bigPatch(): string {
  const updates = Array.from(
    { length: FILES },
    (_, i) => `*** Update File: f${String(i).padStart(2, "0")}.txt\n@@\n-old ${i}\n+new ${i}\n`,
  );
  return `*** Begin Patch\n${updates.join("")}*** Add File: new/dir/added.txt\n+added\n` +
    "*** Delete File: gone.txt\n*** End Patch\n";
}

function original(bench: Bench): Record<string, string> {
  const files: Record<string, string> = { "gone.txt": "bye\n" };
  for (let i = 0; i < FILES; i++) files[`f${String(i).padStart(2, "0")}.txt`] = `old ${i}\n`;
  for (const [name, text] of Object.entries(files)) writeFileSync(join(bench.work, name), text);
  return files;
}

Deno.test("a patch killed with -9 half-way is rolled back by the next run, no temp files left", () =>
  withBench(async (bench) => {
    const before = original(bench);
    await killMidPatch({ ...bench, patch: bigPatch(), killAt: KILL_AT });
    // Killed half-way: the first 24 files new, the rest old, and nothing else in the workspace.
    const half = tree(bench.work);
    assert.equal(Object.values(half).filter((text) => text.startsWith("new")).length, KILL_AT);
    assert.deepEqual(Object.keys(half).sort(), Object.keys(before).sort());
    assert.equal(readdirSync(bench.journal).length, 1);
    // The next run finds the dead process's journal and puts every file back.
    const recovered = recoverInterruptedPatches(bench.journal);
    assert.equal(recovered.length, 1);
    assert.equal(recovered[0].restored.length, KILL_AT);
    assert.deepEqual(recovered[0].kept, []);
    assert.deepEqual(tree(bench.work), before);
    assert.deepEqual(readdirSync(bench.work).sort(), Object.keys(before).sort());
    assert.deepEqual(readdirSync(bench.journal), []);
    // And the same patch then applies whole.
    await applyHunks(parsePatch(bigPatch()), { cwd: bench.work, journalDir: bench.journal });
    assert.equal(tree(bench.work)["new/dir/added.txt"], "added\n");
    assert.equal(existsSync(join(bench.work, "gone.txt")), false);
  }));

Deno.test("recovery leaves a live process's journal, and files changed since, alone", () =>
  withBench(async (bench) => {
    original(bench);
    await killMidPatch({ ...bench, patch: bigPatch(), killAt: KILL_AT });
    // Someone edits a patched file after the crash: that edit is kept, the rest rolled back.
    writeFileSync(join(bench.work, "f03.txt"), "edited by hand\n");
    const [name] = readdirSync(bench.journal);
    const journal = JSON.parse(readFileSync(join(bench.journal, name), "utf8"));
    // Claimed by this (live) process, it is not touched.
    writeFileSync(
      join(bench.journal, name),
      JSON.stringify({ ...journal, owner: { pid: Deno.pid, start: null } }),
    );
    assert.deepEqual(recoverInterruptedPatches(bench.journal), []);
    assert.equal(readFileSync(join(bench.work, "f00.txt"), "utf8"), "new 0\n");
    writeFileSync(join(bench.journal, name), JSON.stringify(journal));
    const [recovered] = recoverInterruptedPatches(bench.journal);
    assert.deepEqual(recovered.kept, [join(bench.work, "f03.txt")]);
    assert.equal(readFileSync(join(bench.work, "f03.txt"), "utf8"), "edited by hand\n");
    assert.equal(readFileSync(join(bench.work, "f00.txt"), "utf8"), "old 0\n");
  }));

Deno.test("a journal folder others may write is never trusted", () =>
  withBench(async (bench) => {
    original(bench);
    await killMidPatch({ ...bench, patch: bigPatch(), killAt: KILL_AT });
    chmodSync(bench.journal, 0o777);
    assert.deepEqual(recoverInterruptedPatches(bench.journal), []);
    assert.equal(readFileSync(join(bench.work, "f00.txt"), "utf8"), "new 0\n");
    chmodSync(bench.journal, 0o700);
    assert.equal(recoverInterruptedPatches(bench.journal).length, 1);
  }));
