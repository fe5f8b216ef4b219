// The shell environment policy, case by case as upstream 0.115.0's binary applied it to
// shell_command (recorded with `env`, shell snapshots off, against the fake server).
import assert from "node:assert/strict";
import { shellEnvironmentPolicy, type ShellEnvironmentPolicyToml } from "../config/mod.ts";
import { commandEnvironment } from "./environment.ts";

const VARS = {
  PATH: "/usr/bin",
  HOME: "/home/u",
  USER: "u",
  LANG: "C.UTF-8",
  MYKEY: "1",
  GITHUB_TOKEN: "2",
  OTHER_SECRET: "3",
  lower_key: "4",
  Secret_x: "5",
  FAKE_API_KEY: "6",
};

const CASES: Array<[string, ShellEnvironmentPolicyToml | undefined, Record<string, string>]> = [
  ["no table: everything, secrets included (upstream's default)", undefined, VARS],
  ["an empty table is the same", {}, VARS],
  [
    "ignore_default_excludes = false drops *KEY*, *SECRET*, *TOKEN* in any case",
    { ignore_default_excludes: false },
    { PATH: "/usr/bin", HOME: "/home/u", USER: "u", LANG: "C.UTF-8" },
  ],
  ["inherit = core keeps the core names", { inherit: "core" }, {
    PATH: "/usr/bin",
    HOME: "/home/u",
    USER: "u",
  }],
  ["inherit = none keeps nothing but set", { inherit: "none", set: { ONLY: "yes" } }, {
    ONLY: "yes",
  }],
  [
    "exclude: case-insensitive globs with * and ?",
    { inherit: "core", exclude: ["p*h", "H?ME"] },
    { USER: "u" },
  ],
  [
    "set comes after the excludes, include_only after set",
    {
      ignore_default_excludes: false,
      set: { MY_TOKEN: "t", other: "o" },
      include_only: ["*path*", "home", "my*"],
    },
    { PATH: "/usr/bin", HOME: "/home/u", MY_TOKEN: "t" },
  ],
  [
    "only * and ? are special: [A-C]* matches a literal bracket",
    {
      inherit: "none",
      set: { AB: "1", "[A-C]z": "2", CD: "3", xyz: "4", "a?": "5" },
      include_only: ["a?", "[A-C]*", "*x*"],
    },
    { AB: "1", "[A-C]z": "2", xyz: "4", "a?": "5" },
  ],
  [
    "regular-expression characters in a pattern are literal",
    {
      inherit: "none",
      set: { "A.B": "1", AXB: "2", "A+": "3", AA: "4" },
      include_only: ["A.B", "A+"],
    },
    { "A.B": "1", "A+": "3" },
  ],
];

for (const [name, table, expected] of CASES) {
  Deno.test(`shell environment policy: ${name}`, () => {
    assert.deepEqual(commandEnvironment(shellEnvironmentPolicy(table), VARS), expected);
  });
}
