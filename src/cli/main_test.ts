// The last line of defence: whatever reaches main's handler is told in sentences, never a stack.
import assert from "node:assert/strict";
import process from "node:process";
import { FileError } from "../platform/mod.ts";
import { reportFailure } from "./main.ts";

function stderrOf(fn: () => void): string {
  let text = "";
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string) => (text += chunk, true)) as typeof write;
  try {
    fn();
  } finally {
    process.stderr.write = write;
  }
  return text;
}

Deno.test("reportFailure: an explained error is its sentence; an unexpected one says how to keep details; never a stack", () => {
  const enospc = Object.assign(new Error("No space left on device (os error 28)"), {
    code: "ENOSPC",
  });
  let code = 0;
  const explained = stderrOf(() => code = reportFailure(new FileError("write", "/x/y", enospc)));
  assert.equal(code, 1);
  assert.equal(
    explained,
    "Error: cannot write /x/y: no space left on device (ENOSPC); free some space on that disk\n",
  );
  const unexpected = stderrOf(() => reportFailure(new TypeError("x is not a function")));
  assert.equal(
    unexpected,
    "Error: x is not a function\ntscodex: this failure was not expected; run again with " +
      "TSCODEX_DEBUG_LOG=<folder> to keep its details for a bug report\n",
  );
  assert.doesNotMatch(explained + unexpected, /\bat /);
});
