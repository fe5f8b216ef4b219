import assert from "node:assert/strict";
import { clientIdentity, semverish, terminalToken } from "./identity.ts";

Deno.test("user agent: upstream's format with our name and version", () => {
  const identity = clientIdentity("codex_exec", "0.1.0", { TERM: "xterm-256color" });
  assert.equal(identity.originator, "codex_exec");
  assert.match(
    identity.userAgent,
    /^codex_exec\/0\.1\.0 \([^;()]+ (\d+\.\d+\.\d+|Unknown); [\w-]+\) xterm-256color \(codex-exec; 0\.1\.0\)$/,
  );
});

Deno.test("terminal token: the emulator when it says so, else TERM, else unknown; header-safe", () => {
  assert.equal(
    terminalToken({ TERM_PROGRAM: "iTerm.app", TERM_PROGRAM_VERSION: "3.5" }),
    "iTerm.app/3.5",
  );
  assert.equal(terminalToken({ TERM_PROGRAM: "vscode", TERM: "xterm" }), "vscode");
  assert.equal(terminalToken({ WT_SESSION: "1", TERM: "xterm" }), "WindowsTerminal");
  assert.equal(terminalToken({ TERM: "xterm" }), "xterm");
  assert.equal(terminalToken({}), "unknown");
  assert.equal(terminalToken({ TERM: "weird term\u00e9" }), "weird_term_");
});

Deno.test("OS versions are normalised to three numbers, as upstream reports them", () => {
  assert.equal(semverish("12"), "12.0.0");
  assert.equal(semverish("22.04"), "22.4.0");
  assert.equal(semverish("14.5.1"), "14.5.1");
  assert.equal(semverish("rolling"), "Unknown");
  assert.equal(semverish(undefined), "Unknown");
});
