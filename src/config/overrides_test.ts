import assert from "node:assert/strict";
import { ConfigError } from "./errors.ts";
import { applyOverrides, mergeTables, parseOverride } from "./overrides.ts";

Deno.test("-c values parse as TOML, and fall back to a string as upstream does", () => {
  const cases: Array<[string, string[], unknown]> = [
    ["retries=3", ["retries"], 3],
    ["ratio = 1.5", ["ratio"], 1.5],
    ["on=true", ["on"], true],
    ['list=["a", "b"]', ["list"], ["a", "b"]],
    ['table={ x = "1" }', ["table"], { x: "1" }],
    ['model="gpt-5.4"', ["model"], "gpt-5.4"],
    ["model=gpt-5.4", ["model"], "gpt-5.4"], // not TOML: a bare string
    ["url=http://127.0.0.1:1/v1", ["url"], "http://127.0.0.1:1/v1"],
    ["q=a=b", ["q"], "a=b"], // only the first '=' splits
    ['half="open', ["half"], "open"], // quotes around a non-TOML value are stripped
    ["empty=", ["empty"], ""],
    ['two = "x"\nother = 1', ["two"], 'x"\nother = 1'], // not one value: kept as text
    ["a.b.c=1", ["a", "b", "c"], 1],
    [" spaced . key =1", ["spaced", "key"], 1],
    ['providers."a.b".url=x', ["providers", "a.b", "url"], "x"],
    ["has space.k=1", ["has space", "k"], 1], // not a TOML key: split on dots
  ];
  for (const [raw, path, value] of cases) {
    const parsed = parseOverride(raw);
    assert.deepEqual([parsed.path, parsed.value], [path, value], raw);
  }
});

Deno.test("-c syntax errors are ConfigErrors that quote the flag", () => {
  for (
    const [raw, expected] of [["nokey", /expected key=value/], ["=1", /key is empty/]] as const
  ) {
    assert.throws(() => parseOverride(raw), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, expected);
      assert.ok(err.message.includes(JSON.stringify(raw)));
      return true;
    });
  }
  assert.throws(() => parseOverride("a..b=1"), /empty segment/);
});

Deno.test("applyOverrides writes deep paths on a copy and replaces non-tables on the way", () => {
  const table = { a: { b: 1 }, s: "scalar" };
  const out = applyOverrides(table, ["a.c=2", "s.x=3", "new.deep.k=true"].map(parseOverride));
  assert.deepEqual(out, { a: { b: 1, c: 2 }, s: { x: 3 }, new: { deep: { k: true } } });
  assert.deepEqual(table, { a: { b: 1 }, s: "scalar" });
});

Deno.test("mergeTables merges tables key by key and replaces everything else", () => {
  assert.deepEqual(
    mergeTables({ a: 1, t: { x: 1, y: 2 }, list: [1] }, { a: 2, t: { y: 3 }, list: [2] }),
    { a: 2, t: { x: 1, y: 3 }, list: [2] },
  );
});
