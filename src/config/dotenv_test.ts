import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadCodexDotenv, parseDotenv } from "./dotenv.ts";

Deno.test(".env lines follow pycodex's rules", () => {
  const text = [
    "# a comment",
    "",
    "PLAIN=value",
    "export EXPORTED = spaced ",
    "COMMENTED=abc # trailing comment",
    "HASH=abc#not-a-comment",
    'DOUBLE="line\\nbreak \\"q\\" \\u00e9 \\x41"',
    "SINGLE='raw \\n # kept'",
    'UNTERMINATED="open',
    "EMPTY=",
    "NOEQUALS",
    "=novalue",
    "DUP=1",
    "DUP=2",
    'UNICODE="caf\u00e9"',
  ].join("\n");
  assert.deepEqual(Object.fromEntries(parseDotenv(text)), {
    PLAIN: "value",
    EXPORTED: "spaced",
    COMMENTED: "abc",
    HASH: "abc#not-a-comment",
    DOUBLE: 'line\nbreak "q" \u00e9 A',
    SINGLE: "raw \\n # kept",
    UNTERMINATED: "open",
    EMPTY: "",
    DUP: "2",
    UNICODE: "caf\u00e9",
  });
});

Deno.test("loadCodexDotenv overrides the environment but never sets CODEX_ names", async () => {
  const home = await mkdtemp(join(tmpdir(), "tscodex-dotenv-"));
  try {
    const env: Record<string, string | undefined> = { KEEP: "1", OVER: "old" };
    assert.deepEqual(loadCodexDotenv(home, env), []); // no .env: nothing happens
    await writeFile(join(home, ".env"), "OVER=new\nCODEX_HOME=/x\nCodex_Other=1\nNEW=2\r\n");
    assert.deepEqual(loadCodexDotenv(home, env), ["OVER", "NEW"]);
    assert.deepEqual(env, { KEEP: "1", OVER: "new", NEW: "2" });
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});
