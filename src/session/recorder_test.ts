// The rollout recorder against real failures: a full tmpfs, a CODEX_HOME that is a file, a file a
// crash cut short. The file must stay a valid prefix of the session whatever happens.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fillDisk, NO_TMPFS, tempDir, withTmpfs } from "../testing/mod.ts";
import { parseRollout } from "./reader.ts";
import { RolloutRecorder, RolloutWriteError } from "./recorder.ts";
import { createSession } from "./store.ts";

/** Every line of the file parses: nothing half-written. */
function wholeLines(path: string): Array<{ type: string; payload: { n?: number } }> {
  const text = readFileSync(path, "utf8");
  assert.ok(text === "" || text.endsWith("\n"), "the file ends with a whole line");
  return text.split("\n").filter(Boolean).map((line) => JSON.parse(line));
}

const big = (n: number) => ({ type: "note", n, text: "x".repeat(6000) });

Deno.test({
  name: "recorder: a full disk fails the write with the file and the cause, the file keeps its " +
    "whole lines, and the unwritten ones follow in order once there is room",
  ignore: NO_TMPFS,
  fn: () =>
    withTmpfs(64, async (disk) => {
      const path = join(disk, "sessions", "rollout.jsonl");
      const recorder = RolloutRecorder.create(path, "s1");
      recorder.recordEvent({ type: "note", n: 1 } as { type: string });
      recorder.recordEvent({ type: "note", n: 2 } as { type: string });
      const filler = join(disk, "filler");
      fillDisk(filler);
      // More than a page: the write cannot fit in what the file's last page has left.
      assert.throws(() => recorder.recordEvent(big(3)), (err: Error) => {
        assert.ok(err instanceof RolloutWriteError);
        assert.equal(
          err.message,
          `cannot write the rollout ${path}: no space left on device (ENOSPC); free some space ` +
            "on that disk, or set CODEX_HOME to a writable folder",
        );
        return true;
      });
      assert.deepEqual(wholeLines(path).map((l) => l.payload.n), [1, 2]);
      assert.throws(() => recorder.recordEvent(big(4)), RolloutWriteError);
      assert.equal(recorder.unwritten, 2);
      assert.deepEqual(wholeLines(path).map((l) => l.payload.n), [1, 2]);

      rmSync(filler);
      recorder.recordEvent({ type: "note", n: 5 } as { type: string });
      assert.equal(recorder.unwritten, 0);
      recorder.close();
      assert.deepEqual(wholeLines(path).map((l) => l.payload.n), [1, 2, 3, 4, 5]);
      await Promise.resolve();
    }),
});

Deno.test({
  name: "recorder: close() does not repeat a failure a record already reported",
  ignore: NO_TMPFS,
  fn: () =>
    withTmpfs(64, async (disk) => {
      const path = join(disk, "rollout.jsonl");
      const recorder = RolloutRecorder.create(path, "s1");
      recorder.recordEvent({ type: "note", n: 1 } as { type: string });
      fillDisk(join(disk, "filler"));
      assert.throws(() => recorder.recordEvent(big(2)), RolloutWriteError);
      recorder.close();
      assert.ok(recorder.closed);
      assert.deepEqual(wholeLines(path).map((l) => l.payload.n), [1]);
      await Promise.resolve();
    }),
});

Deno.test({
  name: "createSession on a full disk: the error names the rollout, no empty file is left",
  ignore: NO_TMPFS,
  fn: () =>
    withTmpfs(64, async (disk) => {
      fillDisk(join(disk, "filler"));
      await assert.rejects(
        createSession({
          codexHome: disk,
          cwd: "/",
          originator: "codex_exec",
          cliVersion: "0.1.0",
          source: "exec",
          modelProvider: "fake",
          // Several pages, so even a folder's first page is not enough.
          baseInstructions: "b".repeat(20_000),
          git: null,
        }),
        /^RolloutWriteError: cannot write the rollout .*\/sessions\/\d{4}\/\d\d\/\d\d\/rollout-.*\.jsonl: no space left on device \(ENOSPC\)/,
      );
      const walk = (dir: string): string[] =>
        readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
          e.isDirectory() ? walk(join(dir, e.name)) : [e.name]
        );
      assert.deepEqual(walk(join(disk, "sessions")), []);
    }),
});

Deno.test("createSession under a CODEX_HOME that is a file: the folder and the cause", async () => {
  const dir = await tempDir("tscodex-home-file-");
  const home = join(dir, "home");
  writeFileSync(home, "not a folder");
  await assert.rejects(
    createSession({
      codexHome: home,
      cwd: dir,
      originator: "codex_exec",
      cliVersion: "0.1.0",
      source: "exec",
      modelProvider: "fake",
      baseInstructions: "b",
      git: null,
    }),
    (err: Error) => {
      assert.ok(err instanceof RolloutWriteError);
      assert.match(
        err.message,
        new RegExp(
          `^cannot create the sessions folder ${home}/sessions/\\d{4}/\\d\\d/\\d\\d: a part of ` +
            "the path is not a folder \\(ENOTDIR\\); check the path, or set CODEX_HOME to a " +
            "writable folder$",
        ),
      );
      return true;
    },
  );
});

Deno.test("append: a torn last line is dropped, a whole one without a newline is ended", async () => {
  const dir = await tempDir("tscodex-append-");
  const line = (n: number) => JSON.stringify({ timestamp: "t", type: "event_msg", payload: { n } });
  const torn = join(dir, "torn.jsonl");
  writeFileSync(torn, `${line(1)}\n${line(2)}\n${line(3).slice(0, 20)}`);
  const parsed = parseRollout(readFileSync(torn, "utf8"));
  assert.equal(parsed.truncatedLine, 3);
  const a = RolloutRecorder.append(torn, "s", parsed.truncated);
  a.recordEvent({ type: "note", n: 4 } as { type: string });
  a.close();
  assert.deepEqual(wholeLines(torn).map((l) => l.payload.n), [1, 2, 4]);

  const unended = join(dir, "unended.jsonl");
  writeFileSync(unended, `${line(1)}\n${line(2)}`);
  const b = RolloutRecorder.append(unended, "s", false);
  b.recordEvent({ type: "note", n: 3 } as { type: string });
  b.close();
  assert.deepEqual(wholeLines(unended).map((l) => l.payload.n), [1, 2, 3]);
  assert.ok(existsSync(unended));
});
