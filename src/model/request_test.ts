// Request-shape snapshots: for each configuration captured from upstream Codex 0.115.0, the request
// tscodex sends over real HTTP (recorded by the fake server) has upstream's header names, body keys
// in upstream's order, and upstream's values for every key that does not carry our own prose.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../config/mod.ts";
import { FakeResponsesServer, parseScenario } from "../fake/mod.ts";
import { uuidv7 } from "../protocol/mod.ts";
import { ResponsesClient } from "./client.ts";
import { clientIdentity } from "./identity.ts";
import { buildRequest, modelParameters, sessionHeaders } from "./request.ts";
import { turnMetadata } from "./turn_metadata.ts";

interface Scenario {
  config_toml: string;
  env: Record<string, string>;
  request: {
    url: string;
    headers: Array<[string, unknown]>;
    body: Record<string, unknown>;
  };
}

const FIXTURE = JSON.parse(
  readFileSync(
    new URL("../../fixtures/shapes/0.115.0/request-shape.json", import.meta.url),
    "utf8",
  ),
) as { scenarios: Record<string, Scenario> };

/** Headers the HTTP stack adds on its own (and differ between runtimes). */
const TRANSPORT_HEADERS = new Set([
  "host",
  "content-length",
  "accept-encoding",
  "accept-language",
  "connection",
]);
/** Body keys whose values are our own (prose, history, tool set) rather than request shape. */
const OWN_CONTENT = new Set(["instructions", "input", "tools", "prompt_cache_key"]);
const USER_AGENT = /^[\w.-]+\/[\w.-]+ \([^;()]+ [^;()]+; [^;()]+\) \S+ \([\w.-]+; [\w.-]+\)$/;

/** The turn metadata header with its volatile values replaced as the fixture has them. */
function normaliseTurnMetadata(value: unknown): string {
  const meta = (typeof value === "string" ? JSON.parse(value) : value) as {
    turn_id: string;
    workspaces?: Record<string, { latest_git_commit_hash?: string }>;
    sandbox: string;
  };
  const workspaces = meta.workspaces &&
    Object.fromEntries(
      Object.values(meta.workspaces).map((w) => [
        "{git_root}",
        {
          ...w,
          ...(w.latest_git_commit_hash ? { latest_git_commit_hash: "{commit}" } : {}),
        },
      ]),
    );
  return JSON.stringify({ ...meta, turn_id: "{turn_id}", ...(workspaces ? { workspaces } : {}) });
}

async function gitRepo(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "tscodex-repo-"));
  const git = (...args: string[]) => execFileSync("git", args, { cwd: dir, stdio: "ignore" });
  git("init", "-q");
  await writeFile(join(dir, "README.md"), "# demo\n");
  git("add", "README.md");
  git("-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "init");
  return dir;
}

for (const [name, scenario] of Object.entries(FIXTURE.scenarios)) {
  Deno.test(`request shape matches upstream 0.115.0: ${name}`, async () => {
    const server = new FakeResponsesServer(
      parseScenario({ responses: [{ output: [{ type: "message", text: "ok" }] }] }),
    );
    await server.start();
    const home = await mkdtemp(join(tmpdir(), "tscodex-home-"));
    const repo = await gitRepo();
    try {
      const host = new URL(server.baseUrl).host;
      const fill = (text: string) =>
        text.replaceAll("{server}", host).replaceAll("{api_key}", "sk-test-secret");
      await writeFile(join(home, "config.toml"), fill(scenario.config_toml));
      const env: Record<string, string | undefined> = { TERM: "xterm" };
      for (const [key, value] of Object.entries(scenario.env)) env[key] = fill(value);
      // Upstream's exec reads the OpenAI key from CODEX_API_KEY; tscodex reads OPENAI_API_KEY.
      env.OPENAI_API_KEY ??= env.CODEX_API_KEY;
      const config = loadConfig({ home, env, clientVersion: "0.1.0" })!;

      const sessionId = uuidv7();
      const request = buildRequest({
        settings: config,
        identity: clientIdentity("codex_exec", "0.1.0", env),
        sessionId,
        turn: await turnMetadata(uuidv7(), repo, config.sandboxMode),
        instructions: "Our own instructions.",
        input: [{ type: "message", role: "user", content: [{ type: "input_text", text: "hi" }] }],
        tools: [{ type: "function", name: "exec_command", parameters: { type: "object" } }],
      });
      for await (const _ of new ResponsesClient(config.provider).stream(request)) {
        // Drain the stream: the request is what is under test.
      }
      const sent = server.requests[0];
      const expected = scenario.request;

      const want = new URL(expected.url, "http://x");
      assert.equal(sent.path, want.pathname);
      const params = (search: string) => [...new URLSearchParams(search)].sort();
      assert.deepEqual(params(sent.query), params(want.search));

      const names = Object.keys(sent.headers).filter((h) => !TRANSPORT_HEADERS.has(h));
      assert.deepEqual(names.sort(), expected.headers.map(([h]) => h).sort());
      for (const [header, value] of expected.headers) {
        const actual = sent.headers[header];
        if (header === "x-codex-turn-metadata") {
          assert.equal(normaliseTurnMetadata(actual), normaliseTurnMetadata(value));
        } else if (header === "user-agent") {
          assert.match(String(value), USER_AGENT);
          assert.match(actual, USER_AGENT);
          assert.match(actual, /^codex_exec\/0\.1\.0 .* xterm \(codex-exec; 0\.1\.0\)$/);
        } else if (header === "authorization") {
          assert.equal(actual, "Bearer <redacted>"); // the fake server redacts it on record
        } else if (value === "{session_id}") {
          assert.equal(actual, sessionId);
        } else if (header !== "version") {
          assert.equal(actual, value, header);
        }
      }

      const body = sent.body as Record<string, unknown>;
      assert.deepEqual(Object.keys(body), Object.keys(expected.body));
      assert.equal(body.prompt_cache_key, sessionId);
      for (const [key, value] of Object.entries(expected.body)) {
        if (!OWN_CONTENT.has(key)) assert.deepEqual(body[key], value, key);
      }
      assert.equal(typeof body.instructions, "string");
      assert.ok(Array.isArray(body.input) && Array.isArray(body.tools));
    } finally {
      await server.close();
      await rm(home, { recursive: true, force: true });
      await rm(repo, { recursive: true, force: true });
    }
  });
}

Deno.test("modelParameters: catalog defaults, config settings and unknown models", () => {
  const cases: Array<[Parameters<typeof modelParameters>[0], ReturnType<typeof modelParameters>]> =
    [
      [{ model: "gpt-5.1-codex" }, {
        reasoning: { effort: "medium", summary: "auto" },
        include: ["reasoning.encrypted_content"],
        text: undefined,
        parallelToolCalls: false,
      }],
      [{ model: "gpt-5.1-codex-2025-11-01", reasoningEffort: "xhigh", verbosity: "high" }, {
        reasoning: { effort: "xhigh", summary: "auto" },
        include: ["reasoning.encrypted_content"],
        text: undefined, // this model takes no verbosity
        parallelToolCalls: false,
      }],
      [{ model: "gpt-5", reasoningSummary: "none", verbosity: "high" }, {
        reasoning: { effort: "medium" },
        include: ["reasoning.encrypted_content"],
        text: { verbosity: "high" },
        parallelToolCalls: false,
      }],
      [{ model: "local-llm", reasoningEffort: "high" }, {
        reasoning: null,
        include: [],
        text: undefined,
        parallelToolCalls: false,
      }],
      [{ model: "local-llm", reasoningEffort: "high", supportsReasoningSummaries: true }, {
        reasoning: { effort: "high", summary: "auto" },
        include: ["reasoning.encrypted_content"],
        text: undefined,
        parallelToolCalls: false,
      }],
      // Upstream 0.115.0: forcing it on gives an unknown model no default effort; forcing it off
      // takes nothing from a model the catalog credits with reasoning.
      [{ model: "local-llm", supportsReasoningSummaries: true }, {
        reasoning: { summary: "auto" },
        include: ["reasoning.encrypted_content"],
        text: undefined,
        parallelToolCalls: false,
      }],
      [{ model: "gpt-5.1-codex", reasoningEffort: "none", supportsReasoningSummaries: false }, {
        reasoning: { effort: "none", summary: "auto" },
        include: ["reasoning.encrypted_content"],
        text: undefined,
        parallelToolCalls: false,
      }],
    ];
  for (const [settings, expected] of cases) {
    assert.deepEqual(modelParameters(settings), expected, settings.model);
  }
});

Deno.test("session headers: turn metadata gathered once per turn, the session id throughout", async () => {
  const headers = sessionHeaders({
    identity: clientIdentity("codex_exec", "0.1.0", {}),
    sessionId: "session-1",
    cwd: tmpdir(),
    sandboxMode: "danger-full-access",
  });
  const first = headers({ turnId: "turn-1" });
  assert.equal(headers({ turnId: "turn-1" }), first); // retries reuse the same headers
  const second = await headers({ turnId: "turn-2" });
  const meta = (h: Record<string, string>) => JSON.parse(h["x-codex-turn-metadata"]);
  assert.equal(meta(await first).turn_id, "turn-1");
  assert.equal(meta(second).turn_id, "turn-2");
  assert.equal(meta(second).sandbox, "none");
  assert.equal(second["session_id"], "session-1");
  assert.equal(second["x-client-request-id"], "session-1");
  assert.equal(second["originator"], "codex_exec");
});
