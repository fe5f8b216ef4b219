import assert from "node:assert/strict";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseRollout, readRollout, rolloutDamage, RolloutReadError } from "./reader.ts";
import { RolloutRecorder } from "./recorder.ts";

const META = {
  timestamp: "2026-01-02T03:04:05.006Z",
  type: "session_meta",
  payload: { id: "01a20d7c-d7d8-7560-be49-48a67f652ae7", timestamp: "t", cwd: "/w" },
};
const USER = {
  timestamp: "2026-01-02T03:04:05.007Z",
  type: "response_item",
  payload: { type: "message", role: "user", content: [{ type: "input_text", text: "hi {" }] },
};
const CALL = {
  timestamp: "2026-01-02T03:04:05.008Z",
  type: "response_item",
  payload: { type: "function_call", name: "exec_command", arguments: "{}", call_id: "c1" },
};
const compact = (...values: unknown[]) => values.map((v) => JSON.stringify(v)).join("\n") + "\n";

async function tempFile(name: string, text: string): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), "rollout-reader-")), name);
  await writeFile(path, text);
  return path;
}

Deno.test("reader: pretty-printed and concatenated values read the same as one per line", () => {
  const expected = parseRollout(compact(META, USER, CALL));
  assert.equal(expected.entries.length, 3);
  const pretty = JSON.stringify(META, null, 2) + "\n" + JSON.stringify(USER, null, 4) + "\n" +
    JSON.stringify(CALL) + "\n";
  const concatenated = JSON.stringify(META) + JSON.stringify(USER) + "  " + JSON.stringify(CALL);
  for (const text of [pretty, concatenated]) {
    const parsed = parseRollout(text);
    assert.deepEqual(parsed.entries, expected.entries);
    assert.equal(parsed.truncated, false);
    assert.equal(parsed.invalid, 0);
  }
});

Deno.test("reader: a last line cut short is tolerated and reported as truncated", () => {
  const whole = compact(META, USER, CALL);
  for (const cut of [whole.length - 2, whole.length - 30, whole.lastIndexOf("{") + 1]) {
    const parsed = parseRollout(whole.slice(0, cut));
    assert.equal(parsed.entries.length, 2, `cut at ${cut}`);
    assert.equal(parsed.truncated, true);
    assert.equal(parsed.invalid, 0);
  }
  const prettyCut = JSON.stringify(META) + "\n" + JSON.stringify(USER, null, 2).slice(0, 60);
  const parsed = parseRollout(prettyCut);
  assert.equal(parsed.entries.length, 1);
  assert.equal(parsed.truncated, true);
});

Deno.test("reader: a bad line mid-file is skipped with a reason, the lines after it are kept", () => {
  const text = compact(META) + '{"timestamp":"x","type":"respo\nnot json at all\n' +
    compact({ ...USER, payload: { type: "message", role: "robot", content: [] } }) +
    compact(USER, CALL);
  const parsed = parseRollout(text);
  assert.deepEqual(parsed.entries.map((e) => e.type), [
    "session_meta",
    "response_item",
    "response_item",
  ]);
  assert.equal(parsed.truncated, false);
  assert.equal(parsed.invalid, 3);
  assert.deepEqual(parsed.invalidLines, [2, 3, 4]);
  assert.match(parsed.problems[0], /^line 2: not JSON: /);
  assert.match(parsed.problems[2], /^line 4: response_item payload/);
});

Deno.test("reader: line numbers count every line, also those of a pretty-printed value", () => {
  const pretty = JSON.stringify(USER, null, 2);
  const text = compact(META) + pretty + "\n" + "garbage\n" + compact(CALL) + '{"cut';
  const parsed = parseRollout(text);
  assert.equal(parsed.entries.length, 3);
  const garbageLine = 2 + pretty.split("\n").length;
  assert.deepEqual(parsed.invalidLines, [garbageLine]);
  assert.equal(parsed.truncatedLine, garbageLine + 2);
  assert.equal(
    rolloutDamage("/r.jsonl", parsed),
    `rollout /r.jsonl: 1 corrupted line skipped (line ${garbageLine}; line ${garbageLine}: not ` +
      `JSON: "garbage"); the last line (${garbageLine + 2}) is incomplete, as a crash while ` +
      "writing leaves it, and is left out. The session resumes from the readable lines.",
  );
  assert.equal(rolloutDamage("/r.jsonl", parseRollout(compact(META, USER))), undefined);
});

Deno.test("reader: many corrupted lines are counted in full, the first ten listed", () => {
  const text = compact(META) + "bad\n".repeat(12) + compact(USER);
  const damage = rolloutDamage("/r.jsonl", parseRollout(text));
  assert.match(
    damage ?? "",
    /^rollout \/r\.jsonl: 12 corrupted lines skipped \(lines 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 and 2 more; line 2: not JSON: "bad"\)\./,
  );
});

Deno.test("reader: unknown line and event types are skipped without error", () => {
  const text = compact(
    { ...META, ordinal: 0 },
    { timestamp: "t", ordinal: 1, type: "world_state", payload: { full: true } },
    { timestamp: "t", type: "event_msg", payload: { type: "thread_settings_applied" } },
    { timestamp: "t", type: "token_usage_record", payload: {} },
    { ...USER, metadata: { history_sequence: 3 } },
  );
  const parsed = parseRollout(text);
  assert.deepEqual(parsed.entries.map((e) => e.type), ["session_meta", "response_item"]);
  assert.equal(parsed.ignored, 3);
  assert.equal(parsed.invalid, 0);
});

Deno.test("reader: items keep the key order they were written with", () => {
  const [, , call] = parseRollout(compact(META, USER, CALL)).entries;
  assert.deepEqual(Object.keys(call.payload), ["type", "name", "arguments", "call_id"]);
});

Deno.test("reader: a file with nothing readable is a specific error", async () => {
  const empty = await tempFile("empty.jsonl", "");
  await assert.rejects(readRollout(empty), (err: Error) => {
    assert.ok(err instanceof RolloutReadError);
    assert.match(err.message, /empty\.jsonl: the file is empty/);
    return true;
  });
  const garbage = await tempFile("garbage.jsonl", "hello\nworld\n");
  await assert.rejects(readRollout(garbage), /garbage\.jsonl/);
  await assert.rejects(readRollout(join(tmpdir(), "no-such-rollout.jsonl")), RolloutReadError);
});

Deno.test("recorder: appending after a torn last line starts a new line", async () => {
  const path = await tempFile(
    "torn.jsonl",
    compact(META, USER) + JSON.stringify(CALL).slice(0, 25),
  );
  const recorder = RolloutRecorder.append(path, META.payload.id);
  recorder.recordItems([CALL.payload]);
  recorder.close();
  const text = await readFile(path, "utf8");
  assert.ok(text.endsWith("\n"));
  const parsed = parseRollout(text);
  assert.deepEqual(parsed.entries.map((e) => e.type), [
    "session_meta",
    "response_item",
    "response_item",
  ]);
  assert.equal(parsed.invalid, 1);
  assert.deepEqual(parsed.entries[2].payload, CALL.payload);
  assert.throws(() => recorder.recordItems([CALL.payload]), /closed/);
});
