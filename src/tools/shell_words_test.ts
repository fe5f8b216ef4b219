import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { shellJoin, shellQuote } from "./shell_words.ts";

Deno.test("shellJoin prints argv like upstream's Command: lines (Rust shlex)", () => {
  // Left: commands upstream 0.115.0 ran; right: the Command: line it printed for them.
  const recorded: Array<[string, string]> = [
    ["echo hi; ls", "/bin/bash -lc 'echo hi; ls'"],
    ["cat", "/bin/bash -lc cat"],
    ["pwd", "/bin/bash -lc pwd"],
    [`read -p "name? " n; echo hello $n`, `/bin/bash -lc 'read -p "name? " n; echo hello $n'`],
    [
      `sleep 1; head -c 3000000 /dev/zero | tr "\\\\0" a; echo; echo END; sleep 10`,
      `/bin/bash -lc "sleep 1; head -c 3000000 /dev/zero | tr \\"\\\\\\\\0\\" a; echo; echo END; sleep 10"`,
    ],
    [
      `echo café; printf "\\\\xff\\\\xfe\\\\n"`,
      `/bin/bash -lc "echo café; printf \\"\\\\\\\\xff\\\\\\\\xfe\\\\\\\\n\\""`,
    ],
    [`printf "\\\\x03 hi"; cat`, `/bin/bash -lc "printf \\"\\\\\\\\x03 hi\\"; cat"`],
  ];
  for (const [command, line] of recorded) {
    assert.equal(shellJoin(["/bin/bash", "-lc", command]), line);
  }
});

Deno.test("shellQuote picks unquoted, single or double quotes per run, as Rust shlex does", () => {
  const cases: Array<[string, string]> = [
    ["", "''"],
    ["foobar", "foobar"],
    ["foo bar", "'foo bar'"],
    [`'"`, `"'\\""`],
    ["it's $HOME", `"it's "'$HOME'`],
    ["^x", "'^x'"],
    ["x^", "x'^'"],
    ["a!b", "'a!b'"],
    ["é", "'é'"],
  ];
  for (const [word, quoted] of cases) assert.equal(shellQuote(word), quoted, word);
});

Deno.test("quoted words read back as the same argv in a POSIX shell", () => {
  const words = ["plain", "two words", `it's "quoted" $HOME \`x\` \\ !^`, "", "ünï", "^caret"];
  const script = `for w in ${words.map(shellQuote).join(" ")}; do printf '%s\\n' "[$w]"; done`;
  const result = spawnSync("/bin/sh", ["-c", script], { encoding: "utf8" });
  assert.equal(result.stdout, words.map((w) => `[${w}]\n`).join(""));
});
