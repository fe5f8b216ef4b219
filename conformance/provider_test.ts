// Provider grading over real HTTP: our fake server as the good provider, a hand-broken one as the
// bad provider, and the request bodies from a fixture folder written by the harness itself.
import assert from "node:assert/strict";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeResponsesServer, parseScenario } from "../src/fake/mod.ts";
import { serveHttp } from "../src/platform/mod.ts";
import { encodeJsonEvent, SSE_HEADERS } from "../src/protocol/mod.ts";
import { writeFixture } from "./fixtures.ts";
import {
  gradeProvider,
  recordedBodies,
  renderProviderJson,
  renderProviderMarkdown,
} from "./provider.ts";
import type { RequestRecord } from "./recording.ts";

function request(body: Record<string, unknown>): RequestRecord {
  return { method: "POST", path: "/v1/responses", query: "", headers: {}, body };
}

const WITH_CUSTOM = {
  model: "gpt-5.1-codex",
  input: [{ type: "message", role: "user", content: [{ type: "input_text", text: "hi" }] }],
  tools: [{ type: "custom", name: "apply_patch", description: "<PROSE sha256:00 len:1>" }],
  stream: true,
};
const PLAIN = { ...WITH_CUSTOM, tools: [] };

async function fixtures(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "tscodex-provider-"));
  await writeFixture(join(dir, "upstream", "0.115.0", "demo"), {
    scenario: "demo",
    // The retry repeats the first body: it is replayed once.
    runs: [{
      argv: ["exec", "hi"],
      exit_code: 0,
      stdout: "",
      stderr: "",
      requests: [request(WITH_CUSTOM), request(WITH_CUSTOM), request(PLAIN)],
    }],
    rollouts: [],
    files: {},
  }, { scenario_digest: "x", recorded_with: { program: "test", version: "0" } });
  return dir;
}

Deno.test("recorded bodies are replayed once each, labelled by where they come from", async () => {
  const bodies = await recordedBodies(await fixtures(), "0.115.0");
  assert.deepEqual(bodies.map((b) => b.request), ["demo/run-1/001", "demo/run-1/003"]);
  await assert.rejects(
    recordedBodies(await fixtures(), "9.9.9"),
    /no fixtures for upstream 9\.9\.9/,
  );
});

Deno.test("a good provider passes every check, and the card says so", async () => {
  const server = new FakeResponsesServer(parseScenario({
    responses: [{
      output: [
        { type: "reasoning", summary: ["plan"], encrypted_content: "e" },
        { type: "function_call", call_id: "c1", name: "exec_command", arguments: { cmd: "ls" } },
        { type: "custom_tool_call", call_id: "c2", name: "apply_patch", input: "*** Begin Patch" },
        { type: "message", text: "done" },
      ],
    }],
    after_last: "repeat_last",
  }));
  await server.start();
  try {
    const card = await gradeProvider({
      baseUrl: server.baseUrl,
      model: "other-model",
      fixturesDir: await fixtures(),
      upstream: "0.115.0",
    });
    assert.equal(card.results.length, 2);
    for (const result of card.results) {
      assert.deepEqual(result.checks.filter((c) => !c.ok), [], result.request);
      assert.ok(result.ttfbMs !== null && result.ttfbMs <= result.totalMs);
    }
    assert.ok(card.results[0].checks.some((c) => c.name === "custom-tools" && c.ok));
    assert.equal((server.requests[0].body as { model: string }).model, "other-model");
    assert.match(renderProviderMarkdown(card), /2 of 2 replayed requests .* pass every check/);
    assert.equal(JSON.parse(renderProviderJson(card)).results.length, 2);
  } finally {
    await server.close();
  }
});

Deno.test("a broken provider has each of its defects flagged", async () => {
  const call = {
    type: "function_call",
    id: "fc_1",
    call_id: "",
    name: "apply_patch",
    arguments: "{",
  };
  // First answer: a custom tool sent as a function call, no arguments.done, no call id, no usage.
  // Second answer: the stream stops without a terminal event.
  const answers = [
    [
      { type: "response.created", response: { id: "r1" } },
      { type: "response.output_item.added", output_index: 0, item: call },
      { type: "response.output_item.done", output_index: 0, item: call },
      { type: "response.completed", response: { id: "r1", output: [call] } },
    ],
    [{ type: "response.created", response: { id: "r2" } }],
  ];
  let served = 0;
  const server = await serveHttp({ port: 0, hostname: "127.0.0.1" }, async (req) => {
    await req.text();
    const events = answers[served++] ?? [];
    return new Response(events.map(encodeJsonEvent).join(""), { headers: SSE_HEADERS });
  });
  try {
    const card = await gradeProvider({
      baseUrl: `${server.url}/v1`,
      fixturesDir: await fixtures(),
      upstream: "0.115.0",
    });
    const failed = card.results.map((r) => r.checks.filter((c) => !c.ok).map((c) => c.name));
    assert.deepEqual(failed, [
      ["call-ids", "arguments-done", "arguments-json", "custom-tools", "usage"],
      ["terminal-event"],
    ]);
    const md = renderProviderMarkdown(card);
    assert.match(md, /0 of 2 replayed requests/);
    assert.match(md, /\| terminal-event \| 1 \| 1 \|/);
    assert.match(md, /apply_patch came as a function_call/);
  } finally {
    await server.close();
  }
});

Deno.test("an endpoint that cannot be reached is a failed request, not a crash", async () => {
  const server = await serveHttp({ port: 0, hostname: "127.0.0.1" }, () => new Response("x"));
  const url = `${server.url}/v1`;
  await server.close();
  const card = await gradeProvider({
    baseUrl: url,
    fixturesDir: await fixtures(),
    upstream: "0.115.0",
  });
  assert.equal(card.results[0].status, 0);
  assert.match(card.results[0].checks[0].detail ?? "", /no answer: /);
});
