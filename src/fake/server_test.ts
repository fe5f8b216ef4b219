import assert from "node:assert/strict";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AddressInUseError } from "../platform/mod.ts";
import { within } from "../testing/mod.ts";
import { readSse } from "../protocol/mod.ts";
import { loadScenario, parseScenario, ScenarioError, type ScenarioInput } from "./scenario.ts";
import { FakeResponsesServer } from "./server.ts";
import { SpecEvent, SpecResponse } from "../protocol/testing.ts";

async function withServer(
  scenario: ScenarioInput,
  fn: (server: FakeResponsesServer) => Promise<void>,
  recordDir?: string,
): Promise<void> {
  const server = new FakeResponsesServer(parseScenario(scenario), { recordDir });
  await server.start();
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

/** A streaming request, unless `body` says `stream: false`. */
function post(server: FakeResponsesServer, body: object, headers: Record<string, string> = {}) {
  return fetch(`${server.baseUrl}/responses`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ stream: true, ...body }),
  });
}

async function events(response: Response): Promise<Array<Record<string, unknown>>> {
  const out: Array<Record<string, unknown>> = [];
  for await (const message of readSse(response.body!)) {
    const data = JSON.parse(message.data);
    assert.equal(message.event, data.type, "SSE event name matches the payload type");
    out.push(data);
  }
  return out;
}

const REQUEST = {
  model: "m",
  input: [{ type: "message", role: "user", content: [] }],
  stream: true,
};

Deno.test("scripted response streams the full Responses event sequence", async () => {
  await withServer({
    responses: [{
      chunks: 3,
      output: [
        { type: "reasoning", summary: ["plan"], content: ["raw"], encrypted_content: "enc" },
        { type: "message", text: "hello world" },
        { type: "function_call", call_id: "c1", name: "exec_command", arguments: { cmd: "ls" } },
        { type: "custom_tool_call", name: "apply_patch", input: "*** Begin Patch" },
        { type: "web_search_call", action: { type: "search", query: "q" } },
      ],
      usage: { input_tokens: 7, output_tokens: 3 },
    }],
  }, async (server) => {
    const response = await post(server, REQUEST);
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /text\/event-stream/);
    const list = await events(response);
    const types = list.map((e) => e.type);
    assert.equal(types[0], "response.created");
    assert.equal(types[1], "response.in_progress");
    assert.equal(types.at(-1), "response.completed");
    const text = list.filter((e) => e.type === "response.output_text.delta").map((e) => e.delta);
    assert.equal(text.length, 3);
    assert.equal(text.join(""), "hello world");
    assert.equal(
      list.filter((e) => e.type === "response.function_call_arguments.delta").map((e) => e.delta)
        .join(""),
      JSON.stringify({ cmd: "ls" }),
    );
    for (
      const kind of [
        "reasoning_summary_text",
        "reasoning_text",
        "custom_tool_call_input",
        "output_text",
      ]
    ) {
      assert.ok(types.includes(`response.${kind}.done`), kind);
    }
    const done = list.filter((e) => e.type === "response.output_item.done").map((e) =>
      e.item as Record<string, unknown>
    );
    assert.deepEqual(done.map((i) => i.type), [
      "reasoning",
      "message",
      "function_call",
      "custom_tool_call",
      "web_search_call",
    ]);
    assert.equal(done[2].call_id, "c1");
    assert.equal(done[0].encrypted_content, "enc");
    const completed = list.at(-1)!.response as {
      output: unknown[];
      usage: Record<string, unknown>;
    };
    assert.deepEqual(
      completed.output,
      done,
      "completed output repeats the items with the same ids",
    );
    assert.equal(completed.usage.total_tokens, 10);
    assert.deepEqual(list.map((e) => e.sequence_number), list.map((_, i) => i));
  });
});

Deno.test("requests are recorded with secrets redacted, in memory and as JSON lines", async () => {
  const dir = await mkdtemp(join(tmpdir(), "fake-record-"));
  await withServer(
    { responses: [{ output: [{ type: "message", text: "a" }] }] },
    async (server) => {
      await (await post(server, REQUEST, {
        authorization: "Bearer sk-secret",
        "x-api-key": "k",
        session_id: "s1",
      }))
        .text();
      assert.equal(server.requests.length, 1);
    },
    dir,
  );
  const lines = (await readFile(join(dir, "requests.jsonl"), "utf8")).trim().split("\n");
  assert.equal(lines.length, 1);
  const recorded = JSON.parse(lines[0]);
  assert.equal(recorded.path, "/v1/responses");
  assert.deepEqual(recorded.body, REQUEST);
  assert.equal(recorded.headers.authorization, "Bearer <redacted>");
  assert.equal(recorded.headers["x-api-key"], "<redacted>");
  assert.equal(recorded.headers.session_id, "s1");
  assert.ok(!lines[0].includes("sk-secret"));
});

Deno.test("faults: http status, cut stream, stall, delay; statuses failed and incomplete", async () => {
  await withServer({
    responses: [
      { fault: { kind: "http_status", status: 503, body: { error: { message: "busy" } } } },
      { output: [{ type: "message", text: "partial" }], fault: { kind: "cut", after_events: 3 } },
      {
        output: [{ type: "message", text: "x" }],
        fault: { kind: "stall", after_events: 2, ms: 50 },
      },
      { output: [{ type: "message", text: "late" }], fault: { kind: "delay", ms: 30 } },
      { status: "failed", error: { code: "context_length_exceeded", message: "too long" } },
      {
        status: "incomplete",
        incomplete_reason: "max_output_tokens",
        output: [{ type: "message", text: "p" }],
      },
    ],
  }, async (server) => {
    const failedHttp = await post(server, REQUEST);
    assert.equal(failedHttp.status, 503);
    assert.deepEqual(await failedHttp.json(), { error: { message: "busy" } });

    const cut = await events(await post(server, REQUEST));
    assert.equal(cut.length, 3);
    assert.ok(!cut.some((e) => e.type === "response.completed"));

    const stalled = await events(await post(server, REQUEST));
    assert.equal(stalled.length, 2);

    const started = performance.now();
    const delayed = await events(await post(server, REQUEST));
    assert.ok(performance.now() - started >= 25);
    assert.equal(delayed.at(-1)!.type, "response.completed");

    const failed = await events(await post(server, REQUEST));
    assert.deepEqual((failed.at(-1)!.response as { error: unknown }).error, {
      code: "context_length_exceeded",
      message: "too long",
    });

    const incomplete = await events(await post(server, REQUEST));
    assert.equal(incomplete.at(-1)!.type, "response.incomplete");
  });
});

Deno.test("a stalled stream without a time limit holds until the client leaves", async () => {
  await withServer({
    responses: [{
      output: [{ type: "message", text: "x" }],
      fault: { kind: "stall", after_events: 1 },
    }],
  }, async (server) => {
    const response = await post(server, REQUEST);
    const reader = response.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    assert.match(first, /^event: response\.created\n/);
    const pending = reader.read();
    const winner = await Promise.race([
      pending.then(() => "data"),
      new Promise((r) => setTimeout(() => r("quiet"), 100)),
    ]);
    assert.equal(winner, "quiet");
    await reader.cancel();
  });
});

/** The done items of a one-response script, answering a request that holds `c1`'s output. */
async function answerTo(
  output: ScenarioInput["responses"][number]["output"],
  c1Output: string,
): Promise<Array<Record<string, unknown>>> {
  let items: Array<Record<string, unknown>> = [];
  await withServer({ responses: [{ output }] }, async (server) => {
    const input = [
      { type: "function_call", call_id: "c1", name: "exec_command", arguments: "{}" },
      { type: "function_call_output", call_id: "c1", output: c1Output },
    ];
    items = (await events(await post(server, { model: "m", input })))
      .filter((e) => e.type === "response.output_item.done")
      .map((e) => e.item as Record<string, unknown>);
  });
  return items;
}

Deno.test("templates quote the output of an earlier call from the request", async () => {
  const [done] = await answerTo(
    [{ type: "message", text: "saw: {{output:c1}}" }],
    "Exit code: 0\nOutput:\nREADME.md\n",
  );
  assert.equal((done.content as Array<{ text: string }>)[0].text, "saw: README.md");
});

Deno.test("exec_session templates fill in the session id announced by an earlier call", async () => {
  const calls = await answerTo(
    [
      {
        type: "function_call",
        call_id: "poll",
        name: "write_stdin",
        arguments: { session_id: "{{exec_session:c1}}", chars: "" },
      },
      { type: "function_call", call_id: "none", name: "x", arguments: "{{exec_session:c2}}" },
    ],
    "Chunk ID: ab12cd\nProcess running with session ID 61932\nOutput:\n",
  );
  assert.deepEqual(JSON.parse(calls[0].arguments as string), { session_id: 61932, chars: "" });
  assert.equal(calls[1].arguments, "null", "a call without a session id in its output gives null");
});

Deno.test("requests past the script fail loudly unless repeat_last", async () => {
  await withServer(
    { responses: [{ output: [{ type: "message", text: "once" }] }] },
    async (server) => {
      await (await post(server, REQUEST)).text();
      const extra = await post(server, REQUEST);
      assert.equal(extra.status, 500);
      assert.match(
        (await extra.json()).error.message,
        /scripts 1 response\(s\) but received request #2/,
      );
    },
  );
  await withServer({
    after_last: "repeat_last",
    responses: [{ output: [{ type: "message", text: "again" }] }],
  }, async (server) => {
    await (await post(server, REQUEST)).text();
    assert.equal((await post(server, REQUEST)).status, 200);
  });
});

Deno.test("health, models and unknown routes", async () => {
  await withServer({ responses: [{}] }, async (server) => {
    assert.deepEqual(
      await (await fetch(`${server.baseUrl}/models`)).json().then((j) => j.data[0].id),
      "fake-model",
    );
    assert.equal((await fetch(`${server.baseUrl.replace("/v1", "")}/health`)).status, 200);
    const missing = await fetch(`${server.baseUrl}/chat/completions`, {
      method: "POST",
      body: "{}",
    });
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
  });
});

Deno.test("waitForRequests resolves on the request, not on a timer", async () => {
  await withServer(
    { responses: [{ output: [{ type: "message", text: "a" }] }] },
    async (server) => {
      const waiting = server.waitForRequests(1);
      await (await post(server, REQUEST)).text();
      await within(waiting, "the request to be counted");
      assert.equal(server.requests.length, 1);
    },
  );
});

Deno.test("an invalid scenario file names the file and the issue path", async () => {
  const dir = await mkdtemp(join(tmpdir(), "fake-scenario-"));
  const file = join(dir, "bad.json");
  await writeFile(
    file,
    JSON.stringify({ responses: [{ output: [{ type: "function_call", arguments: {} }] }] }),
  );
  await assert.rejects(loadScenario(file), (err) => {
    assert.ok(err instanceof ScenarioError);
    assert.ok(err.message.includes(file));
    assert.equal(err.issuePath, "responses[0].output[0].name");
    return true;
  });
  await writeFile(file, "{oops");
  await assert.rejects(loadScenario(file), /not valid JSON/);
  await writeFile(file, JSON.stringify({ responses: [{ fault: { kind: "cut" } }] }));
  await assert.rejects(
    loadScenario(file),
    (err) => err instanceof ScenarioError && err.issuePath.startsWith("responses[0].fault"),
  );
});

Deno.test("a port in use is reported as such", async () => {
  await withServer({ responses: [{}] }, async (server) => {
    const port = Number(new URL(server.baseUrl).port);
    const second = new FakeResponsesServer(parseScenario({ responses: [{}] }));
    await assert.rejects(
      second.start(port),
      (err) => err instanceof AddressInUseError && /already in use/.test(err.message),
    );
  });
});

Deno.test("routes: requests with a header get their own script, in their own order", async () => {
  await withServer({
    responses: [
      { output: [{ type: "message", text: "main 1" }] },
      { output: [{ type: "message", text: "main 2" }] },
    ],
    routes: [
      {
        name: "spawned",
        header: "X-OpenAI-Subagent",
        value: "collab_spawn",
        responses: [{ output: [{ type: "message", text: "child 1" }] }],
      },
      {
        name: "other",
        header: "x-openai-subagent",
        after_last: "repeat_last",
        responses: [{ output: [{ type: "message", text: "other" }] }],
      },
    ],
  }, async (server) => {
    const text = async (headers: Record<string, string> = {}) => {
      const done = (await events(await post(server, REQUEST, headers))).find((e) =>
        e.type === "response.output_item.done"
      )!.item as { id: string; content: Array<{ text: string }> };
      return `${done.id} ${done.content[0].text}`;
    };
    const spawned = { "x-openai-subagent": "collab_spawn" };
    assert.equal(await text(), "msg_0_0 main 1");
    assert.equal(await text(spawned), "msg_spawned_0_0 child 1");
    assert.equal(await text({ "x-openai-subagent": "review" }), "msg_other_0_0 other");
    assert.equal(await text({ "x-openai-subagent": "review" }), "msg_other_1_0 other");
    assert.equal(await text(), "msg_1_0 main 2", "routed requests do not advance the main script");

    const exhausted = await post(server, REQUEST, spawned);
    assert.equal(exhausted.status, 500);
    assert.match(
      (await exhausted.json()).error.message,
      /route "spawned" scripts 1 response\(s\) but received request #2/,
    );
    assert.deepEqual(server.requests.map((r) => r.route), [
      undefined,
      "spawned",
      "other",
      "other",
      undefined,
      "spawned",
    ]);
    assert.deepEqual(server.requestsByScript().map((r) => r.index), [1, 5, 2, 3, 0, 4]);
    assert.deepEqual(server.requestsByScript(3).map((r) => r.index), [5, 3, 4]);
  });
});

Deno.test("routes: contains takes requests whose header value holds a text", async () => {
  const marker = '"thread_source":"thread_title"';
  await withServer({
    responses: [
      { output: [{ type: "message", text: "main 1" }] },
      { output: [{ type: "message", text: "main 2" }] },
    ],
    routes: [{
      name: "title",
      header: "x-codex-turn-metadata",
      contains: marker,
      after_last: "repeat_last",
      responses: [{ output: [{ type: "message", text: '{"title":"Say hi"}' }] }],
    }],
  }, async (server) => {
    const text = async (metadata?: string) => {
      const headers: Record<string, string> = metadata === undefined
        ? {}
        : { "x-codex-turn-metadata": metadata };
      const done = (await events(await post(server, REQUEST, headers))).find((e) =>
        e.type === "response.output_item.done"
      )!.item as { id: string; content: Array<{ text: string }> };
      return `${done.id} ${done.content[0].text}`;
    };
    const title = (id: string) => `{"session_id":"${id}",${marker},"model":"m"}`;
    assert.equal(await text(title("a1")), 'msg_title_0_0 {"title":"Say hi"}');
    assert.equal(await text('{"session_id":"b2","thread_source":"user"}'), "msg_0_0 main 1");
    assert.equal(
      await text(title("c3")),
      'msg_title_1_0 {"title":"Say hi"}',
      "past its script the route repeats its last answer",
    );
    assert.equal(await text(), "msg_1_0 main 2", "a request without the header is the main's");
    assert.deepEqual(server.requests.map((r) => r.route), ["title", undefined, "title", undefined]);
    assert.deepEqual(server.requestsByScript().map((r) => r.index), [0, 2, 1, 3]);
  });
});

Deno.test("output_field templates pull a field out of a call's JSON output", async () => {
  const calls = await answerTo(
    [
      {
        type: "function_call",
        call_id: "w",
        name: "wait_agent",
        arguments: { ids: ["{{output_field:c1:agent_id}}"], n: "{{output_field:c1:meta.n}}" },
      },
      { type: "message", text: "{{output_field:c1:missing}} {{output_field:c2:agent_id}}" },
    ],
    JSON.stringify({ agent_id: "0190-abc", nickname: "Ada", meta: { n: 3 } }),
  );
  assert.deepEqual(JSON.parse(calls[0].arguments as string), { ids: ["0190-abc"], n: "3" });
  assert.equal(
    (calls[1].content as Array<{ text: string }>)[0].text,
    "(no missing in the output of c1) (no output for c2 in this request)",
  );
  const [notJson] = await answerTo(
    [{ type: "message", text: "{{output_field:c1:agent_id}}" }],
    "Exit code: 0",
  );
  assert.equal(
    (notJson.content as Array<{ text: string }>)[0].text,
    "(the output of c1 is not JSON)",
  );
});

Deno.test("route errors name the route: a duplicate name, a bad header, an empty script, value with contains", () => {
  const route = { name: "sub", header: "x-openai-subagent", responses: [{}] };
  const fails = (routes: unknown[], path: string, message: RegExp) =>
    assert.throws(
      () => parseScenario({ responses: [{}], routes }),
      (err) => err instanceof ScenarioError && err.issuePath === path && message.test(err.message),
    );
  fails([route, route], "routes[1].name", /route name "sub" is used twice/);
  fails([{ ...route, header: "bad header" }], "routes[0].header", /HTTP header name/);
  fails([{ ...route, responses: [] }], "routes[0].responses", /./);
  fails([{ ...route, extra: 1 }], "routes[0]", /extra/);
  fails(
    [{ ...route, value: "collab_spawn", contains: "collab" }],
    "routes[0].contains",
    /value and contains exclude each other/,
  );
  fails([{ ...route, contains: "" }], "routes[0].contains", /./);
  assert.deepEqual(parseScenario({ responses: [{}] }).routes, [], "routes are optional");
});

Deno.test("a body that is not JSON gets a JSON 400; /responses/compact folds the history", async () => {
  await withServer({ responses: [{}] }, async (server) => {
    const broken = await fetch(`${server.baseUrl}/responses`, {
      method: "POST",
      body: '{"model":',
    });
    assert.equal(broken.status, 400);
    assert.match((await broken.json()).error.message, /not JSON/);

    const user = { type: "message", role: "user", content: [{ type: "input_text", text: "hi" }] };
    const answer = {
      type: "message",
      role: "assistant",
      content: [{ type: "output_text", text: "yo" }],
    };
    const compacted = await fetch(`${server.baseUrl}/responses/compact`, {
      method: "POST",
      body: JSON.stringify({ model: "m", input: [user, answer] }),
    });
    assert.equal(compacted.status, 200);
    const body = await compacted.json();
    assert.equal(body.object, "response.compaction");
    assert.deepEqual(body.output.map((i: { type: string }) => i.type), ["message", "compaction"]);
    assert.deepEqual(body.output[0], user);
    assert.equal(body.usage.total_tokens, body.usage.input_tokens + body.usage.output_tokens);
    assert.deepEqual(server.requests.map((r) => r.path), [
      "/v1/responses",
      "/v1/responses/compact",
    ]);
    // Neither took a scripted response: the script's first answer is still there.
    const first = await post(server, REQUEST);
    assert.equal(first.status, 200);
    await first.body?.cancel();
  });
});

Deno.test("without stream: true the answer is the complete response object; streamed ones validate too", async () => {
  const script = {
    output: [
      { type: "reasoning" as const, summary: ["plan"], content: ["raw"] },
      { type: "message" as const, text: "hello world" },
      { type: "function_call" as const, call_id: "c1", name: "f", arguments: { a: 1 } },
    ],
  };
  await withServer({ responses: [script, script, { status: "failed" }] }, async (server) => {
    const settings = { model: "m", input: "hi", instructions: "Be brief.", temperature: 0.2 };
    const plain = await post(server, { ...settings, stream: false });
    assert.match(plain.headers.get("content-type") ?? "", /application\/json/);
    const object = await plain.json();
    const valid = SpecResponse.safeParse(object);
    assert.ok(valid.success, JSON.stringify(valid.error?.issues));
    assert.equal(object.instructions, "Be brief.");
    assert.equal(object.temperature, 0.2);
    assert.deepEqual(object.output.map((item: { type: string }) => item.type), [
      "reasoning",
      "message",
      "function_call",
    ]);

    const list = await events(await post(server, settings));
    for (const event of list) {
      const parsed = SpecEvent.safeParse(event);
      assert.ok(parsed.success, `${event.type}: ${JSON.stringify(parsed.error?.issues)}`);
    }
    const { output } = list.at(-1)!.response as { output: Array<{ id: string }> };
    // Item ids name the request they answer; the rest is the same.
    const withoutIds = (items: Array<{ id: string }>) => items.map(({ id: _, ...rest }) => rest);
    assert.deepEqual(withoutIds(output), withoutIds(object.output));

    const failed = await post(server, { ...settings, stream: false });
    assert.equal(failed.status, 500);
    assert.equal((await failed.json()).error.code, "server_error");
  });
});

Deno.test("a request that breaks the invariants gets a 400 and fails close(), naming what", async () => {
  const server = new FakeResponsesServer(parseScenario({
    responses: [{ output: [{ type: "message", text: "a" }] }, {
      output: [{ type: "message", text: "b" }],
    }],
  }));
  await server.start();
  const unanswered = {
    model: "m",
    input: [
      { type: "message", role: "user", content: [] },
      { type: "function_call", call_id: "call_1", name: "exec_command", arguments: "{}" },
      { type: "function_call", call_id: "call_1", name: "exec_command", arguments: "{}" },
      { type: "reasoning", id: "", summary: [] },
    ],
  };
  const refused = await post(server, unanswered);
  assert.equal(refused.status, 400);
  const { error } = await refused.json();
  assert.equal(error.type, "invalid_request_error");
  assert.match(error.message, /request #0 breaks the Responses API's rules/);
  assert.match(error.message, /call_id call_1 is used by two calls/);
  assert.match(error.message, /input\[3\] \(reasoning\) has an empty id/);
  assert.match(error.message, /function_call call_1 has no output/);
  // A well-formed request is still served, in order.
  assert.equal((await post(server, REQUEST)).status, 200);
  assert.equal(server.invalidRequests.length, 1);
  await assert.rejects(server.close(), (err: Error) => {
    assert.equal(err.name, "InvalidRequestsError");
    assert.match(err.message, /1 request\(s\) breaking the Responses API's rules/);
    assert.match(err.message, /#0 \/v1\/responses: .*function_call call_1 has no output/);
    return true;
  });
});

Deno.test("a lenient server refuses an invalid request but closes quietly", async () => {
  const server = new FakeResponsesServer(
    parseScenario({ responses: [{ output: [{ type: "message", text: "a" }] }] }),
    { lenient: true },
  );
  await server.start();
  const orphan = {
    model: "m",
    input: [{ type: "function_call_output", call_id: "nowhere", output: "x" }],
  };
  assert.equal((await post(server, orphan)).status, 400);
  await server.close();
  assert.deepEqual(server.invalidRequests[0].violations, [
    "function_call_output for nowhere has no earlier call",
  ]);
});

Deno.test("valid requests pass the invariants: answered calls, string input, chained outputs", async () => {
  await withServer(
    { responses: [{ output: [] }], after_last: "repeat_last" },
    async (server) => {
      const answered = {
        model: "m",
        input: [
          { type: "function_call", call_id: "c1", name: "f", arguments: "{}" },
          { type: "function_call_output", call_id: "c1", output: "ok" },
          { type: "custom_tool_call", call_id: "c2", name: "apply_patch", input: "x" },
          { type: "custom_tool_call_output", call_id: "c2", output: "done" },
        ],
      };
      const chained = {
        model: "m",
        previous_response_id: "resp_1",
        input: [{ type: "function_call_output", call_id: "c9", output: "ok" }],
      };
      for (const body of [answered, { model: "m", input: "hello" }, chained]) {
        const response = await post(server, body);
        assert.equal(response.status, 200, JSON.stringify(body));
        await response.body?.cancel();
      }
    },
  );
});
