import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "./errors.ts";
import { codexHome } from "./home.ts";
import { DEFAULT_MODEL, loadConfig, type LoadOptions } from "./load.ts";

/** A config.toml selecting provider "fake": top-level keys, other tables, then provider keys. */
function toml(top = "", provider = "", tables = ""): string {
  return `${top}
model_provider = "fake"
${tables}
[model_providers.fake]
name = "Fake"
base_url = "http://127.0.0.1:9/v1"
env_key = "FAKE_KEY"
${provider}
`;
}
const PROVIDER = toml();

/** A fresh CODEX_HOME holding `files`; removed after `fn`. */
async function withHome(
  files: Record<string, string>,
  fn: (home: string) => void | Promise<void>,
): Promise<void> {
  const home = await mkdtemp(join(tmpdir(), "tscodex-config-"));
  try {
    for (const [name, text] of Object.entries(files)) await writeFile(join(home, name), text);
    await fn(home);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

function load(home: string, options: Partial<LoadOptions> = {}) {
  return loadConfig({ home, env: { FAKE_KEY: "sk-test-secret" }, ...options });
}

function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${err}`);
    assert.ok(!err.message.includes("sk-test-secret"), "the error message leaks the key");
    return err.message;
  }
  assert.fail("expected a ConfigError");
}

Deno.test("CODEX_HOME comes from the environment, else ~/.codex", () => {
  assert.equal(codexHome({ CODEX_HOME: "/srv/codex" }), "/srv/codex");
  assert.match(codexHome({ CODEX_HOME: " " }), /\.codex$/);
});

Deno.test("no config.toml and no flags: null, so the CLI runs the offline demo", async () => {
  await withHome({}, (home) => assert.equal(load(home), null));
});

Deno.test("defaults: provider limits, upstream's default model, built-in openai", async () => {
  await withHome({ "config.toml": PROVIDER }, (home) => {
    const config = load(home)!;
    assert.equal(config.model, DEFAULT_MODEL);
    assert.equal(config.provider.id, "fake");
    assert.equal(config.provider.name, "Fake");
    assert.equal(config.provider.baseUrl, "http://127.0.0.1:9/v1");
    assert.equal(config.provider.apiKey?.reveal(), "sk-test-secret");
    assert.equal(config.provider.requestMaxRetries, 4);
    assert.equal(config.provider.streamMaxRetries, 5);
    assert.equal(config.provider.streamIdleTimeoutMs, 300_000);
  });
  await withHome({ "config.toml": 'model = "gpt-5.1-codex"\n' }, (home) => {
    const config = loadConfig({
      home,
      env: { OPENAI_API_KEY: "sk-openai", OPENAI_PROJECT: "proj-1" },
      clientVersion: "9.9.9",
    })!;
    assert.equal(config.provider.id, "openai");
    assert.equal(config.provider.baseUrl, "https://api.openai.com/v1");
    assert.equal(config.provider.envKey, "OPENAI_API_KEY");
    assert.deepEqual(config.provider.headers, { version: "9.9.9", "OpenAI-Project": "proj-1" });
  });
});

Deno.test("every issue key is read, with its type", async () => {
  const text = toml(
    `model = "gpt-5.4"
model_reasoning_effort = "high"
model_reasoning_summary = "detailed"
model_verbosity = "medium"
model_context_window = 200000
model_auto_compact_token_limit = 150000
developer_instructions = "Be terse."
model_instructions_file = "instructions.md"
approval_policy = "on-request"
sandbox_mode = "workspace-write"
unknown_upstream_key = { anything = [1, 2] }`,
    `query_params = { "api-version" = "2025-01-01" }
http_headers = { "X-Static" = "1" }
env_http_headers = { "X-From-Env" = "HDR_VAR", "X-Unset" = "UNSET_VAR" }
request_max_retries = 1
stream_max_retries = 2
stream_idle_timeout_ms = 1500`,
    "[features]\nweb_search_request = true",
  );
  await withHome({ "config.toml": text, "instructions.md": "Custom base." }, (home) => {
    const config = loadConfig({ home, env: { FAKE_KEY: "k", HDR_VAR: "from-env" } })!;
    assert.equal(config.model, "gpt-5.4");
    assert.equal(config.reasoningEffort, "high");
    assert.equal(config.reasoningSummary, "detailed");
    assert.equal(config.verbosity, "medium");
    assert.equal(config.contextWindow, 200_000);
    assert.equal(config.autoCompactTokenLimit, 150_000);
    assert.equal(config.developerInstructions, "Be terse.");
    assert.equal(config.baseInstructions, "Custom base.");
    assert.equal(config.approvalPolicy, "on-request");
    assert.equal(config.sandboxMode, "workspace-write");
    assert.deepEqual(config.features, { web_search_request: true });
    assert.deepEqual(config.provider.queryParams, { "api-version": "2025-01-01" });
    assert.deepEqual(config.provider.headers, { "X-Static": "1", "X-From-Env": "from-env" });
    assert.equal(config.provider.requestMaxRetries, 1);
    assert.equal(config.provider.streamMaxRetries, 2);
    assert.equal(config.provider.streamIdleTimeoutMs, 1500);
  });
});

Deno.test("base_instructions wins over model_instructions_file; a missing file is named", async () => {
  const text = toml('base_instructions = "inline"\nmodel_instructions_file = "x.md"');
  await withHome({ "config.toml": text, "x.md": "from file" }, (home) => {
    assert.equal(load(home)!.baseInstructions, "inline");
  });
  await withHome({ "config.toml": toml('model_instructions_file = "gone.md"') }, (home) => {
    const message = configError(() => load(home));
    assert.match(message, /model_instructions_file: cannot read .*gone\.md: ENOENT/);
  });
});

Deno.test("a TOML syntax error names the file, line and column", async () => {
  await withHome({ "config.toml": 'model = "gpt-5.4"\nmodel_provider = "fake\n' }, (home) => {
    const message = configError(() => load(home));
    assert.ok(message.startsWith(`${join(home, "config.toml")}:2:`), message);
    assert.match(message, /:2:\d+: invalid TOML: /);
    assert.match(message, /2 \| model_provider = "fake/);
  });
  // A line that may hold a credential is not quoted back.
  await withHome({ "config.toml": 'http_headers = { Authorization = "Bearer sk-x }\n' }, (home) => {
    const message = configError(() => load(home));
    assert.match(message, /config\.toml:1:\d+: invalid TOML/);
    assert.ok(!message.includes("sk-x"), message);
  });
});

Deno.test("an unreadable config.toml is named", async () => {
  await withHome({}, async (home) => {
    await mkdir(join(home, "config.toml")); // a directory where the file should be
    assert.match(
      configError(() => load(home)),
      /cannot read .*config\.toml: it is a folder \(EISDIR\); fix it or remove it/,
    );
  });
});

Deno.test("a type error names the key path and the expected type", async () => {
  const cases: Array<[string, RegExp]> = [
    [
      toml("", 'stream_max_retries = "x"'),
      /config\.toml: model_providers\.fake\.stream_max_retries: expected a number, got a string \("x"\)/,
    ],
    [
      toml("", "stream_idle_timeout_ms = 1.5"),
      /model_providers\.fake\.stream_idle_timeout_ms: expected an integer, got a float \(1\.5\)/,
    ],
    [
      toml('model_reasoning_effort = "extreme"'),
      /model_reasoning_effort: expected one of "none", "minimal", "low", "medium", "high", "xhigh", got a string \("extreme"\)/,
    ],
    [toml("model = 5"), /model: expected a string, got an integer \(5\)/],
    [toml("", "", '[features]\nfoo = "yes"'), /features\.foo: expected a boolean/],
    [
      PROVIDER.replace("http://127.0.0.1:9/v1", "ftp://example.com"),
      /model_providers\.fake\.base_url: expected an http\(s\) URL/,
    ],
    [toml("", "stream_max_retries = 101"), /stream_max_retries: expected a number <= 100/],
    [toml("", "", '[profiles.p]\nmodel_verbosity = "loud"'), /profiles\.p\.model_verbosity:/],
    [
      toml("", "http_headers = { Authorization = 42 }"),
      /http_headers\.Authorization: expected a string, got an integer$/,
    ],
  ];
  for (const [text, expected] of cases) {
    await withHome({ "config.toml": text }, (home) => {
      assert.match(configError(() => load(home)), expected);
    });
  }
});

Deno.test("wire_api and use_chat_completion say what the provider speaks", async () => {
  await withHome({ "config.toml": PROVIDER }, (home) => {
    assert.equal(load(home)!.provider.wireApi, "responses");
  });
  const cases: [string, string, string][] = [
    ["", 'wire_api = "chat"', "chat"],
    ["", 'wire_api = "messages"', "messages"],
    ["use_chat_completion = true", "", "chat"],
    ["", 'use_chat_completion = "yes"', "chat"],
    // The top level (or the profile) wins over the provider entry.
    ["use_chat_completion = false", "use_chat_completion = true", "responses"],
  ];
  for (const [top, provider, expected] of cases) {
    await withHome({ "config.toml": toml(top, provider) }, (home) => {
      assert.equal(load(home)!.provider.wireApi, expected, `${top} ${provider}`);
    });
  }
  await withHome({ "config.toml": toml("", 'wire_api = "grpc"') }, (home) => {
    assert.match(
      configError(() => load(home)),
      /wire_api = "grpc": expected "responses", "chat" .* or "messages"/,
    );
  });
  // A provider that is not selected does not stop loading, whatever its wire_api.
  const spare =
    `${PROVIDER}\n[model_providers.spare]\nbase_url = "http://x/v1"\nwire_api = "grpc"\n`;
  await withHome({ "config.toml": spare }, (home) => assert.equal(load(home)!.provider.id, "fake"));
});

Deno.test("a missing env_key variable is an error that names it, before any request", async () => {
  await withHome({ "config.toml": PROVIDER }, (home) => {
    for (const env of [{}, { FAKE_KEY: "  " }]) {
      const message = configError(() => loadConfig({ home, env }));
      assert.match(message, /environment variable FAKE_KEY is not set/);
      assert.match(message, /model_providers\.fake\.env_key/);
      assert.ok(message.includes(join(home, ".env")), message);
    }
  });
  await withHome({ "config.toml": 'model = "gpt-5.4"\n' }, (home) => {
    assert.match(configError(() => loadConfig({ home, env: {} })), /OPENAI_API_KEY is not set/);
  });
});

Deno.test("unknown provider, missing base_url and unknown profile are named", async () => {
  await withHome({ "config.toml": 'model_provider = "nope"\n' }, (home) => {
    assert.match(configError(() => load(home)), /model_provider = "nope" but there is no/);
  });
  await withHome({ "config.toml": PROVIDER.replace(/base_url.*\n/, "") }, (home) => {
    assert.match(configError(() => load(home)), /model_providers\.fake\.base_url is missing/);
  });
  await withHome({ "config.toml": toml("", "", '[profiles.fast]\nmodel = "m"') }, (home) => {
    assert.match(
      configError(() => load(home, { profile: "slow" })),
      /profile "slow" is not defined in .*config\.toml \(defined: fast\)/,
    );
  });
});

const LAYERED = toml(
  'model = "file-model"\nmodel_reasoning_effort = "low"\nmodel_verbosity = "low"',
  "",
  '[profiles.p]\nmodel = "profile-model"\nmodel_reasoning_effort = "medium"\n' +
    '[profiles.q]\nmodel = "q-model"',
);

Deno.test("precedence: default < file < profile < -c < --model", async () => {
  await withHome({ "config.toml": LAYERED }, (home) => {
    const file = load(home)!;
    assert.equal(file.model, "file-model");
    assert.equal(file.reasoningSummary, undefined); // the default: decided per model later
    assert.equal(file.profile, undefined);

    const profiled = load(home, { profile: "p" })!;
    assert.equal(profiled.profile, "p");
    assert.equal(profiled.model, "profile-model");
    assert.equal(profiled.reasoningEffort, "medium");
    assert.equal(profiled.verbosity, "low"); // not in the profile: the file's value stays

    const overridden = load(home, {
      profile: "p",
      overrides: ["model=cli-model", "model_reasoning_effort=high"],
    })!;
    assert.equal(overridden.model, "cli-model");
    assert.equal(overridden.reasoningEffort, "high");

    assert.equal(
      load(home, { profile: "p", model: "flag", overrides: ["model=c"] })!.model,
      "flag",
    );
  });
});

Deno.test("the profile comes from --profile, else -c profile=, else the profile key", async () => {
  await withHome({ "config.toml": `profile = "q"\n${LAYERED}` }, (home) => {
    assert.equal(load(home)!.model, "q-model");
    assert.equal(load(home, { overrides: ["profile=p"] })!.model, "profile-model");
    assert.equal(load(home, { profile: "p", overrides: ["profile=q"] })!.model, "profile-model");
    // -c can edit a profile table before it is applied.
    assert.equal(load(home, { overrides: ["profiles.q.model=edited"] })!.model, "edited");
  });
});

Deno.test("-c overrides: TOML values, string fallback, dotted and quoted keys", async () => {
  const text = `${PROVIDER}\n[model_providers."dotted.id"]\nbase_url = "http://127.0.0.1:8/v1"\n`;
  await withHome({ "config.toml": text }, (home) => {
    const config = load(home, {
      overrides: [
        "model_providers.fake.stream_max_retries=1",
        'model_providers.fake.query_params={ a = "1", b = "x=y" }',
        "model_providers.fake.http_headers.x-q = a=b",
        "model_context_window = 1_000",
        "features.alpha=true",
        "model=gpt-5.2",
        "developer_instructions='single quoted'",
      ],
    })!;
    assert.equal(config.provider.streamMaxRetries, 1);
    assert.deepEqual(config.provider.queryParams, { a: "1", b: "x=y" });
    assert.deepEqual(config.provider.headers, { "x-q": "a=b" });
    assert.equal(config.contextWindow, 1000);
    assert.deepEqual(config.features, { alpha: true });
    assert.equal(config.model, "gpt-5.2");
    assert.equal(config.developerInstructions, "single quoted");

    const quoted = load(home, {
      overrides: ['model_provider="dotted.id"', 'model_providers."dotted.id".stream_max_retries=3'],
    })!;
    assert.equal(quoted.provider.id, "dotted.id");
    assert.equal(quoted.provider.baseUrl, "http://127.0.0.1:8/v1");
    assert.equal(quoted.provider.streamMaxRetries, 3);
  });
});

Deno.test("-c without a config.toml configures tscodex on its own", async () => {
  await withHome({}, (home) => {
    const config = load(home, {
      overrides: [
        "model_provider=local",
        'model_providers.local={ base_url = "http://127.0.0.1:7/v1" }',
      ],
    })!;
    assert.equal(config.provider.baseUrl, "http://127.0.0.1:7/v1");
    assert.equal(config.provider.apiKey, undefined);
  });
});

Deno.test("-c errors: missing '=', empty key, and a type error names the flag", async () => {
  await withHome({ "config.toml": PROVIDER }, (home) => {
    assert.match(configError(() => load(home, { overrides: ["noequals"] })), /expected key=value/);
    assert.match(configError(() => load(home, { overrides: ["=1"] })), /the key is empty/);
    assert.match(
      configError(() => load(home, { overrides: ["model_context_window=abc"] })),
      /^-c model_context_window: expected a number, got a string \("abc"\)/,
    );
  });
});

Deno.test(".env in CODEX_HOME supplies the key and skips CODEX_ names", async () => {
  const dotenv = 'FAKE_KEY="sk-from-dotenv"\nCODEX_HOME=/elsewhere\ncodex_sneaky=1\n';
  await withHome({ "config.toml": PROVIDER, ".env": dotenv }, (home) => {
    const env: Record<string, string | undefined> = { FAKE_KEY: "sk-from-env" };
    const config = loadConfig({ home, env })!;
    assert.equal(config.provider.apiKey?.reveal(), "sk-from-dotenv"); // .env overrides, as upstream
    assert.equal(env.CODEX_HOME, undefined);
    assert.equal(env.codex_sneaky, undefined);
  });
});

Deno.test("the API key never shows in JSON, strings or inspection of the config", async () => {
  await withHome({ "config.toml": PROVIDER }, (home) => {
    const config = load(home)!;
    const dumps = [
      JSON.stringify(config),
      String(config.provider.apiKey),
      Deno.inspect(config, { depth: 10 }),
      `${config.provider.apiKey}`,
    ];
    for (const dump of dumps) assert.ok(!dump.includes("sk-test-secret"), dump);
  });
});

Deno.test("no config.toml: an OpenAI key or base URL in the environment configures the built-in openai provider", async () => {
  await withHome({}, (home) => {
    const keyed = loadConfig({
      home,
      env: {
        CODEX_API_KEY: "sk-codex",
        OPENAI_API_KEY: "sk-openai",
        OPENAI_BASE_URL: "http://127.0.0.1:9/v1/",
      },
    })!;
    assert.equal(keyed.provider.id, "openai");
    assert.equal(keyed.model, DEFAULT_MODEL);
    assert.equal(keyed.provider.baseUrl, "http://127.0.0.1:9/v1");
    assert.equal(keyed.provider.envKey, "CODEX_API_KEY", "exec's key comes first, as upstream's");
    assert.equal(keyed.provider.apiKey?.reveal(), "sk-codex");

    const openai = loadConfig({ home, env: { OPENAI_API_KEY: "sk-openai" } })!;
    assert.equal(openai.provider.baseUrl, "https://api.openai.com/v1");
    assert.equal(openai.provider.apiKey?.reveal(), "sk-openai");

    // A server of one's own may take no key, as upstream sends none then.
    const keyless = loadConfig({ home, env: { OPENAI_BASE_URL: "http://127.0.0.1:9/v1" } })!;
    assert.equal(keyless.provider.apiKey, undefined);

    assert.equal(loadConfig({ home, env: { CODEX_API_KEY: " " } }), null, "blank is unset");
  });
  await withHome({ "config.toml": 'model = "m"\n' }, (home) => {
    const message = configError(() => loadConfig({ home, env: {} }));
    assert.match(message, /OPENAI_API_KEY is not set/);
    assert.match(message, /CODEX_API_KEY/, "the error names both variables");
  });
});

Deno.test("user_instructions and project_doc_max_bytes are read", async () => {
  await withHome({
    "config.toml": PROVIDER.replace(
      "model_provider",
      'user_instructions = "Be brief."\nproject_doc_max_bytes = 0\nmodel_provider',
    ),
  }, (home) => {
    const config = load(home)!;
    assert.equal(config.userInstructions, "Be brief.");
    assert.equal(config.projectDocMaxBytes, 0);
  });
  await withHome({ "config.toml": toml("project_doc_max_bytes = -1") }, (home) => {
    assert.match(configError(() => load(home)), /project_doc_max_bytes/);
  });
});

Deno.test("[agents] max_threads is read, and must be a positive integer", async () => {
  await withHome({ "config.toml": toml("", "", "[agents]\nmax_threads = 2") }, (home) => {
    assert.equal(load(home)!.agentMaxThreads, 2);
  });
  await withHome({ "config.toml": PROVIDER }, (home) => {
    assert.equal(load(home)!.agentMaxThreads, undefined, "upstream's default applies");
  });
  await withHome({ "config.toml": toml("", "", "[agents]\nmax_threads = 0") }, (home) => {
    assert.match(configError(() => load(home)), /agents\.max_threads: expected a number > 0/);
  });
});
