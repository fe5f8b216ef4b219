import assert from "node:assert/strict";
import { compileGlob } from "./glob.ts";

Deno.test("glob: gitignore-style matching as ripgrep's --glob", () => {
  const cases: Array<[string, string, boolean]> = [
    ["*.ts", "a.ts", true],
    ["*.ts", "src/deep/a.ts", true],
    ["*.ts", "a.tsx", false],
    ["*.{ts,tsx}", "src/a.tsx", true],
    ["src/*.ts", "src/a.ts", true],
    ["src/*.ts", "src/x/a.ts", false],
    ["src/**/*.ts", "src/x/y/a.ts", true],
    ["src/**/*.ts", "src/a.ts", true],
    ["/src/*.ts", "src/a.ts", true],
    ["sub/**", "sub/deeper/leaf.txt", true],
    ["?.md", "a.md", true],
    ["?.md", "ab.md", false],
    ["[ab].txt", "b.txt", true],
    ["[!ab].txt", "b.txt", false],
    ["a+b.txt", "a+b.txt", true],
  ];
  for (const [pattern, path, expected] of cases) {
    assert.equal(compileGlob(pattern).matches(path), expected, `${pattern} ~ ${path}`);
  }
  assert.equal(compileGlob("!*.log").negated, true);
  assert.equal(compileGlob("!*.log").matches("x.log"), true);
});
