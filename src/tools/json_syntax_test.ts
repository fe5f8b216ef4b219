import assert from "node:assert/strict";
import { checkJsonSyntax } from "./json_syntax.ts";

// serde_json's messages for the same inputs (the first recorded from upstream 0.115.0).
const CASES: Array<[string, string]> = [
  ["not json", "expected ident at line 1 column 2"],
  ["", "EOF while parsing a value at line 1 column 0"],
  ["abc", "expected value at line 1 column 1"],
  ['{"a":1', "EOF while parsing an object at line 1 column 6"],
  ['{"a":1,}', "trailing comma at line 1 column 8"],
  ["{a:1}", "key must be a string at line 1 column 2"],
  ['{"a" 1}', "expected `:` at line 1 column 6"],
  ['{"a":1 "b":2}', "expected `,` or `}` at line 1 column 8"],
  ['{"a":1} x', "trailing characters at line 1 column 9"],
  ["[1,2", "EOF while parsing a list at line 1 column 4"],
  ['{"a":"x', "EOF while parsing a string at line 1 column 7"],
  ['{\n  "cmd": trux\n}', "expected ident at line 2 column 13"],
];

Deno.test("JSON syntax errors are worded and located as serde_json reports them", () => {
  for (const [text, message] of CASES) {
    assert.throws(() => checkJsonSyntax(text), (err: Error) => {
      assert.equal(err.message, message, JSON.stringify(text));
      return true;
    });
  }
});

Deno.test("valid JSON passes", () => {
  for (
    const text of [
      '{"cmd":"ls","n":-1.5e3,"a":[true,false,null,{}],"s":"\\u00e9\\n"}',
      " [ ] ",
      "0",
    ]
  ) {
    checkJsonSyntax(text);
  }
});
