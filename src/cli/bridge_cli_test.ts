// exec against chat-completions and Anthropic-messages backends through the in-process bridge:
// every switch that turns it on (wire_api, use_chat_completion at each level, the flags), as a
// user runs the CLI, with the backend's captured requests checked.
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { anthropic, type BackendReply, chat, ScriptedBackend } from "../serve/testing.ts";
import { tempDir } from "../testing/mod.ts";
import { type CliRun, runCli } from "./cli_testing.ts";

type Api = "chat" | "messages";

const BACKEND_KEY = "sk-backend-key-1234";

/** One turn that runs a command, then answers with what it printed. */
function toolTurn(api: Api): BackendReply[] {
  const command = JSON.stringify({ cmd: "echo bridged-$((6*7))" });
  return api === "chat"
    ? [
      {
        chunks: [...chat.toolCall(0, "call_1", "exec_command", command), chat.finish("tool_calls")],
      },
      { chunks: [...chat.text("the command ", "said 42"), chat.finish("stop")] },
    ]
    : [
      {
        chunks: [
          anthropic.start(10),
          ...anthropic.toolUse(0, "toolu_1", "exec_command", command),
          ...anthropic.stop("tool_use", 5),
        ],
      },
      {
        chunks: [
          anthropic.start(20),
          ...anthropic.text(0, "the command ", "said 42"),
          ...anthropic.stop("end_turn", 5),
        ],
      },
    ];
}

function textTurn(api: Api, text: string): BackendReply[] {
  return api === "chat" ? [{ chunks: [...chat.text(text), chat.finish("stop")] }] : [{
    chunks: [anthropic.start(5), ...anthropic.text(0, text), ...anthropic.stop("end_turn", 2)],
  }];
}

interface Case {
  name: string;
  api: Api;
  /** config.toml, given the backend's base URL; none when the flags alone configure it. */
  config?: (url: string) => string;
  /** The flags, given the backend's base URL. */
  flags?: (url: string) => string[];
  /** The model the backend must be asked for. */
  model: string;
}

const provider = (url: string, extra = "") =>
  `[model_providers.local]\nname = "local"\nbase_url = "${url}"\nenv_key = "BACKEND_KEY"\n${extra}`;

async function runAgainst(
  backend: ScriptedBackend,
  c: Case,
  prompt: string,
): Promise<CliRun> {
  const home = await tempDir("tscodex-bridge-");
  if (c.config) await writeFile(join(home, "config.toml"), c.config(backend.url));
  return await runCli(
    [
      "exec",
      "--skip-git-repo-check",
      "-s",
      "danger-full-access",
      ...(c.flags?.(backend.url) ?? []),
      prompt,
    ],
    { cwd: home, env: { HOME: home, CODEX_HOME: home, BACKEND_KEY } },
  );
}

const TOOL_CASES: Case[] = [
  {
    name: 'wire_api = "chat"',
    api: "chat",
    config: (url) =>
      `model = "m-chat"\nmodel_provider = "local"\n${provider(url, 'wire_api = "chat"')}`,
    model: "m-chat",
  },
  {
    name: 'wire_api = "messages"',
    api: "messages",
    config: (url) =>
      `model = "m-msg"\nmodel_provider = "local"\n${provider(url, 'wire_api = "messages"')}`,
    model: "m-msg",
  },
];

for (const c of TOOL_CASES) {
  Deno.test(`exec runs a tool turn against a ${c.api} backend set by ${c.name}`, async () => {
    const backend = await new ScriptedBackend(c.api, toolTurn(c.api)).start();
    try {
      const run = await runAgainst(backend, c, "run the command");
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, "the command said 42\n");
      const [first, second] = backend.requests.filter((r) => r.method === "POST");
      assert.equal(first.path, c.api === "chat" ? "/v1/chat/completions" : "/v1/messages");
      assert.equal(first.body.model, c.model);
      // The backend's own key reaches it, not the key the agent uses with the proxy.
      if (c.api === "chat") assert.equal(first.headers.authorization, `Bearer ${BACKEND_KEY}`);
      else assert.equal(first.headers["x-api-key"], BACKEND_KEY);
      // The command ran and its output went back to the backend in the next request.
      assert.match(JSON.stringify(second.body), /bridged-42/);
      assert.ok(!run.stderr.includes(BACKEND_KEY), "the backend key is not shown");
    } finally {
      await backend.close();
    }
  });
}

const SWITCH_CASES: Case[] = [
  {
    name: "use_chat_completion = true at the top level",
    api: "chat",
    config: (url) =>
      `model = "m"\nuse_chat_completion = true\nmodel_provider = "local"\n${provider(url)}`,
    model: "m",
  },
  {
    name: "use_chat_completion in the selected profile",
    api: "chat",
    config: (url) =>
      `model = "m"\nprofile = "local"\n[profiles.local]\nmodel_provider = "local"\n` +
      `use_chat_completion = true\n${provider(url)}`,
    model: "m",
  },
  {
    name: "use_chat_completion on the provider entry",
    api: "chat",
    config: (url) =>
      `model = "m"\nmodel_provider = "local"\n${provider(url, "use_chat_completion = true")}`,
    model: "m",
  },
  {
    name: "--use-chat-completion",
    api: "chat",
    config: (url) => `model = "m"\nmodel_provider = "local"\n${provider(url)}`,
    flags: () => ["--use-chat-completion"],
    model: "m",
  },
  {
    name: "--use-messages",
    api: "messages",
    config: (url) => `model = "m"\nmodel_provider = "local"\n${provider(url)}`,
    flags: () => ["--use-messages"],
    model: "m",
  },
  {
    // No config.toml at all; no model named, so the one the server lists is used; /v1 added.
    name: "--vllm-endpoint with a bare URL",
    api: "chat",
    flags: (url) => ["--vllm-endpoint", url.replace(/\/v1$/, "")],
    model: "backend-model",
  },
];

for (const c of SWITCH_CASES) {
  Deno.test(`exec answers through a ${c.api} backend turned on by ${c.name}`, async () => {
    const backend = await new ScriptedBackend(c.api, textTurn(c.api, "bridged hello")).start();
    try {
      const run = await runAgainst(backend, c, "say hello");
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, "bridged hello\n");
      const posts = backend.requests.filter((r) => r.method === "POST");
      assert.equal(posts.length, 1);
      assert.equal(posts[0].body.model, c.model);
      assert.match(JSON.stringify(posts[0].body), /say hello/);
    } finally {
      await backend.close();
    }
  });
}

Deno.test("the chat profile comes from chat_profile, else from the provider's id", async () => {
  const backend = await new ScriptedBackend("chat", [
    ...textTurn("chat", "one"),
    ...textTurn("chat", "two"),
  ]).start();
  try {
    // stepfun addresses instructions as `system`; the default profile as `developer`.
    const stepfun: Case = {
      name: "chat_profile",
      api: "chat",
      config: (url) =>
        `model = "m"\nmodel_provider = "local"\n` +
        provider(url, 'wire_api = "chat"\nchat_profile = "stepfun"'),
      model: "m",
    };
    const byId: Case = {
      ...stepfun,
      config: (url) =>
        `model = "m"\nmodel_provider = "stepfun"\n[model_providers.stepfun]\n` +
        `base_url = "${url}"\nwire_api = "chat"\n`,
    };
    for (const c of [stepfun, byId]) {
      const run = await runAgainst(backend, c, "hi");
      assert.equal(run.code, 0, run.stderr);
    }
    const roles = backend.bodies.map((b) => (b.messages as { role: string }[])[0].role);
    assert.deepEqual(roles, ["system", "system"]);
  } finally {
    await backend.close();
  }
});

Deno.test("bridge switches that cannot work are refused with what to change", async () => {
  const home = await tempDir("tscodex-bridge-bad-");
  const env = { HOME: home, CODEX_HOME: home };
  const cases: { args: string[]; config?: string; code: number; message: RegExp }[] = [
    {
      args: ["--use-messages", "--use-chat-completion"],
      code: 2,
      message: /--use-messages and --use-chat-completion contradict each other/,
    },
    {
      args: ["--use-messages", "--vllm-endpoint", "http://127.0.0.1:9"],
      code: 2,
      message: /--use-messages and --vllm-endpoint contradict each other/,
    },
    {
      args: ["--vllm-endpoint", "ftp://example.com"],
      code: 2,
      message: /--vllm-endpoint ftp:\/\/example.com: expected the server's http\(s\) URL/,
    },
    {
      args: [],
      config: `model_provider = "x"\n[model_providers.x]\nbase_url = "http://127.0.0.1:9/v1"\n` +
        `wire_api = "chat"\nchat_profile = "nosuch"\n`,
      code: 1,
      message: /model_providers\.x\.chat_profile: unknown provider "nosuch"; known providers: /,
    },
    {
      args: [],
      config: `model_provider = "x"\n[model_providers.x]\nbase_url = "http://127.0.0.1:9/v1"\n` +
        `wire_api = "grpc"\n`,
      code: 1,
      message: /wire_api = "grpc": expected "responses", "chat" .* or "messages"/,
    },
    {
      args: [],
      config: `use_chat_completion = true\nmodel_provider = "x"\n[model_providers.x]\n` +
        `base_url = "http://127.0.0.1:9/v1"\nwire_api = "messages"\n`,
      code: 1,
      message: /use_chat_completion = true contradicts model_providers\.x\.wire_api = "messages"/,
    },
  ];
  for (const c of cases) {
    await writeFile(join(home, "config.toml"), c.config ?? "");
    const run = await runCli(["exec", "--skip-git-repo-check", ...c.args, "hi"], {
      cwd: home,
      env,
    });
    assert.equal(run.code, c.code, `${c.args.join(" ")}: ${run.stderr}`);
    assert.match(run.stderr, c.message);
    assert.doesNotMatch(run.stderr, /\n\s+at /, "no stack trace");
  }
});

Deno.test("doctor's live check asks a chat backend through the bridge", async () => {
  const backend = await new ScriptedBackend("chat", textTurn("chat", "OK")).start();
  try {
    const home = await tempDir("tscodex-bridge-doctor-");
    await writeFile(
      join(home, "config.toml"),
      `model = "m"\nmodel_provider = "local"\n${provider(backend.url, 'wire_api = "chat"')}`,
    );
    const run = await runCli(["doctor"], {
      cwd: home,
      env: { HOME: home, CODEX_HOME: home, BACKEND_KEY },
    });
    assert.match(
      run.stdout,
      /provider: ok - local \(local\) at .* \(chat, through a local proxy\)/,
    );
    assert.match(run.stdout, /live: ok - model m answered "OK"/);
  } finally {
    await backend.close();
  }
});
