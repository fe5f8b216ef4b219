import assert from "node:assert/strict";
import { mkdir, readFile, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { userMessage } from "./lines.ts";
import { git, gitWorkspace, tempDir } from "../testing/mod.ts";
import { parseRollout } from "./reader.ts";
import {
  createSession,
  type CreateSessionOptions,
  listSessions,
  nameSession,
  openSession,
  SessionNotFoundError,
  type SessionTarget,
} from "./store.ts";

function options(codexHome: string, cwd: string): CreateSessionOptions {
  return {
    codexHome,
    cwd,
    originator: "codex_exec",
    cliVersion: "0.1.0",
    source: "exec",
    modelProvider: "fake",
    baseInstructions: "our instructions",
    git: null,
  };
}

/** A session with `prompts` typed into it, last modified at `mtime` (seconds since the epoch). */
async function session(codexHome: string, cwd: string, prompts: string[], mtime: number) {
  const created = await createSession(options(codexHome, cwd));
  for (const prompt of prompts) {
    created.recorder.recordItems([{
      type: "message",
      role: "user",
      content: [{ type: "input_text", text: prompt }],
    }]);
    created.recorder.recordEvent(userMessage(prompt));
  }
  created.recorder.close();
  await utimes(created.path, mtime, mtime);
  return created;
}

Deno.test("createSession: upstream's path, name and session_meta line, git facts included", async () => {
  const home = await tempDir("session-home-");
  const repo = await gitWorkspace();
  git(repo, "remote", "add", "origin", "https://example.com/repo.git");
  const commit = git(repo, "rev-parse", "HEAD");

  const now = new Date(2026, 0, 2, 3, 4, 5, 678); // local time, as upstream names files
  const { git: _git, ...noGit } = options(home, repo);
  const created = await createSession({ ...noGit, now });
  created.recorder.close();
  assert.match(
    created.sessionId,
    /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
  );
  assert.equal(
    created.path,
    join(
      home,
      "sessions",
      "2026",
      "01",
      "02",
      `rollout-2026-01-02T03-04-05-${created.sessionId}.jsonl`,
    ),
  );
  const text = await readFile(created.path, "utf8");
  assert.equal(text.split("\n").length, 2, "one line, newline-terminated");
  const line = JSON.parse(text);
  assert.deepEqual(Object.keys(line), ["timestamp", "type", "payload"]);
  assert.match(line.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.equal(line.type, "session_meta");
  assert.deepEqual(line.payload, {
    id: created.sessionId,
    timestamp: now.toISOString(),
    cwd: repo,
    originator: "codex_exec",
    cli_version: "0.1.0",
    source: "exec",
    model_provider: "fake",
    base_instructions: { text: "our instructions" },
    git: { commit_hash: commit, branch: "main", repository_url: "https://example.com/repo.git" },
  });
  // deepEqual ignores key order; upstream's readers and diffs do not.
  assert.deepEqual(Object.keys(line.payload), [
    "id",
    "timestamp",
    "cwd",
    "originator",
    "cli_version",
    "source",
    "model_provider",
    "base_instructions",
    "git",
  ]);

  const outside = await tempDir("session-nogit-");
  const plain = await createSession({ ...noGit, cwd: outside });
  plain.recorder.close();
  const meta = parseRollout(await readFile(plain.path, "utf8")).entries[0];
  assert.ok(meta.type === "session_meta" && !("git" in meta.payload));
});

Deno.test("openSession: by id, by thread name, and --last (most recently active, per cwd)", async () => {
  const home = await tempDir("session-open-");
  const [a, b] = [await tempDir("cwd-a-"), await tempDir("cwd-b-")];
  const older = await session(home, a, ["first in a"], 1_000);
  const newer = await session(home, a, ["second in a"], 2_000);
  const elsewhere = await session(home, b, ["in b"], 3_000);
  await session(home, a, [], 4_000); // started, nothing typed: not resumable

  const opened = async (target: SessionTarget) => {
    const found = await openSession(home, target);
    found.recorder.close();
    return found;
  };
  const byId = await opened({ id: older.sessionId.toUpperCase() });
  assert.equal(byId.path, older.path);
  assert.deepEqual(byId.userMessages, ["first in a"]);

  assert.equal((await opened({ last: true, cwd: a })).path, newer.path);
  assert.equal((await opened({ last: true })).path, elsewhere.path);
  // Resuming the older session makes it the most recent one.
  await utimes(older.path, 5_000, 5_000);
  assert.equal((await opened({ last: true, cwd: a })).path, older.path);

  await nameSession(home, newer.sessionId, "draft");
  await nameSession(home, newer.sessionId, "release notes");
  await nameSession(home, elsewhere.sessionId, "draft");
  assert.equal((await opened({ id: "release notes" })).path, newer.path);
  assert.equal((await opened({ id: "draft" })).path, elsewhere.path);

  await assert.rejects(
    openSession(home, { id: "01a20d7c-0000-7000-8000-000000000000" }),
    (err) =>
      err instanceof SessionNotFoundError && /no session with id 01a20d7c-0000/.test(err.message),
  );
  await assert.rejects(openSession(home, { id: "no such name" }), SessionNotFoundError);
  await assert.rejects(
    openSession(await tempDir("session-empty-"), { last: true }),
    /no recorded session to resume/,
  );
  await assert.rejects(openSession(home, { last: true, cwd: join(a, "sub") }), /for .*sub/);
});

Deno.test("listSessions: only sessions with a typed message, newest first, title or preview", async () => {
  const home = await tempDir("session-list-");
  const cwd = await tempDir("cwd-");
  const long = "Refactor   the\nparser " + "x".repeat(100);
  const first = await session(home, cwd, ["fix the bug", "and test it"], 1_000);
  const second = await session(home, cwd, [long], 3_000);
  await session(home, cwd, [], 4_000);
  await session(home, cwd, ["   "], 5_000);
  const third = await session(home, cwd, ["<- newest"], 2_000);
  await nameSession(home, first.sessionId, "old name");
  await nameSession(home, first.sessionId, "Bug hunt");
  await mkdir(join(home, "sessions", "2026", "13", "40"), { recursive: true });
  await writeFile(join(home, "sessions", "2026", "13", "40", "notes.txt"), "not a rollout");

  const listed = await listSessions(home);
  assert.deepEqual(listed.map((s) => s.sessionId), [
    second.sessionId,
    third.sessionId,
    first.sessionId,
  ]);
  assert.equal(listed[0].title, listed[0].preview);
  assert.equal(listed[0].preview.length, 80);
  assert.match(listed[0].preview, /^Refactor the parser x+…$/);
  assert.equal(listed[2].title, "Bug hunt");
  assert.equal(listed[2].preview, "fix the bug");
  assert.equal(listed[2].cwd, cwd);
  assert.equal(listed[2].updatedAt.getTime(), 1_000_000);
  assert.equal(basename(listed[1].path), basename(third.path));
  assert.equal((await listSessions(home, { limit: 1 })).length, 1);
  assert.deepEqual(await listSessions(home, { cwd: tmpdir() }), []);
});
