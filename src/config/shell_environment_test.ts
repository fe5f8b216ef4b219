import assert from "node:assert/strict";
import { loadConfig } from "./load.ts";

Deno.test("shell environment policy: read from config.toml; a bad inherit names the key", () => {
  const home = Deno.makeTempDirSync({ prefix: "tscodex-shell-env-" });
  try {
    Deno.writeTextFileSync(
      `${home}/config.toml`,
      '[shell_environment_policy]\ninherit = "core"\nexclude = ["USER"]\n',
    );
    const config = loadConfig({ home, env: { OPENAI_API_KEY: "k" } });
    assert.deepEqual(config?.shellEnvironment, {
      inherit: "core",
      ignoreDefaultExcludes: true,
      exclude: ["USER"],
      set: {},
      includeOnly: [],
    });
    assert.throws(
      () =>
        loadConfig({
          home,
          env: { OPENAI_API_KEY: "k" },
          overrides: ['shell_environment_policy.inherit="some"'],
        }),
      /shell_environment_policy\.inherit/,
    );
  } finally {
    Deno.removeSync(home, { recursive: true });
  }
});
