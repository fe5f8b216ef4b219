import assert from "node:assert/strict";
import { canonicalise, itemKind, rolloutKind, splitOutput } from "./canonical.ts";
import { diffValues, diffViews, MISSING } from "./diff.ts";
import { prosePlaceholder } from "./normalise.ts";
import type { Recording } from "./recording.ts";
import { listDelta, passed, renderJson, renderMarkdown } from "./report.ts";
import { compareRecordings } from "./runner.ts";

Deno.test("diffValues: objects key by key, scalar lists whole, other lists by index", () => {
  assert.deepEqual(diffValues({ a: 1, b: { c: 2 } }, { a: 1, b: { c: 2 } }), []);
  assert.deepEqual(diffValues({ a: 1, b: 2 }, { a: 1, c: 3 }), [
    { path: "b", expected: 2, actual: MISSING },
    { path: "c", expected: MISSING, actual: 3 },
  ]);
  assert.deepEqual(diffValues({ k: ["x", "y", "z"] }, { k: ["y", "z"] }), [
    { path: "k", expected: ["x", "y", "z"], actual: ["y", "z"] },
  ]);
  assert.deepEqual(diffValues([{ t: 1 }, { t: 2 }], [{ t: 1 }, { t: 3 }, { t: 4 }]), [
    { path: "[1].t", expected: 2, actual: 3 },
    { path: "[2]", expected: MISSING, actual: { t: 4 } },
  ]);
  assert.deepEqual(diffValues(null, 0), [{ path: "", expected: null, actual: 0 }]);
  assert.deepEqual(diffValues("1", 1), [{ path: "", expected: "1", actual: 1 }]);
});

Deno.test("item, rollout and output kinds", () => {
  assert.equal(itemKind({ type: "message", role: "developer" }), "message/developer");
  assert.equal(
    itemKind({ type: "function_call", name: "exec_command" }),
    "function_call/exec_command",
  );
  assert.equal(itemKind({ type: "function_call_output", call_id: "c" }), "function_call_output");
  assert.equal(
    rolloutKind({ type: "response_item", payload: { type: "message", role: "user" } }),
    "response_item/message:user",
  );
  assert.equal(
    rolloutKind({ type: "event_msg", payload: { type: "token_count" } }),
    "event_msg/token_count",
  );
  assert.equal(rolloutKind({ type: "turn_context", payload: {} }), "turn_context");
  assert.deepEqual(splitOutput("Exit code: 0\nWall time: <WALL> seconds\nOutput:\nok\n"), {
    shape: "framed-text",
    framing: ["Exit code: 0", "Wall time: <WALL> seconds", "Output:"],
    body: "ok\n",
  });
  assert.deepEqual(splitOutput("Plan updated"), {
    shape: "text",
    framing: [],
    body: "Plan updated",
  });
  assert.equal(splitOutput([{ type: "input_image" }]).shape, "content-items");
});

function recording(overrides: {
  tools?: unknown[];
  prose?: string;
  output?: string;
  headers?: Record<string, string>;
  stdout?: string;
  rollout?: unknown[];
} = {}): Recording {
  const prose = prosePlaceholder(overrides.prose ?? "<rules>\nupstream words\n</rules>");
  const input = [
    { type: "message", role: "developer", content: [{ type: "input_text", text: prose }] },
    { type: "message", role: "user", content: [{ type: "input_text", text: "hi" }] },
    { type: "function_call", name: "exec_command", arguments: '{"cmd":"ls"}', call_id: "c1" },
    {
      type: "function_call_output",
      call_id: "c1",
      output: overrides.output ??
        "Chunk ID: <CHUNK>\nProcess exited with code 0\nOutput:\nREADME.md\n",
    },
  ];
  const tools = overrides.tools ?? [{
    type: "function",
    name: "exec_command",
    description: prose,
    parameters: { type: "object", properties: { cmd: { type: "string", description: prose } } },
  }];
  const request = (n: number) => ({
    method: "POST",
    path: "/v1/responses",
    query: "",
    headers: overrides.headers ?? { accept: "text/event-stream", originator: "codex_exec" },
    body: { model: "m", instructions: prose, input: input.slice(0, n), tools, stream: true },
  });
  return {
    scenario: "demo",
    runs: [{
      argv: ["exec", "--json", "hi"],
      exit_code: 0,
      stdout: overrides.stdout ??
        '{"type":"thread.started","thread_id":"<SESSION#1>"}\n{"type":"turn.started"}\n',
      stderr: "anything",
      requests: [request(2), request(4)],
    }],
    rollouts: [{
      name: "sessions/<YYYY>/<MM>/<DD>/rollout-<TS>-<SESSION#1>.jsonl",
      lines: overrides.rollout ?? [{ type: "session_meta", payload: { id: "<SESSION#1>" } }],
    }],
    files: { "README.md": "# demo\n" },
  };
}

Deno.test("the canonical view holds the compared fields, prose masked", () => {
  const view = canonicalise(recording());
  assert.equal(view.requests["run1.count"], 2);
  assert.deepEqual(view.body["run1.req1.keys"], [
    "model",
    "instructions",
    "input",
    "tools",
    "stream",
  ]);
  assert.equal(view.body["run1.req1.instructions"], "<PROSE[rules]>");
  assert.deepEqual(view.input["run1.req2.kinds"], [
    "message/developer",
    "message/user",
    "function_call/exec_command",
    "function_call_output",
  ]);
  assert.deepEqual(view.tools["run1.names"], ["exec_command:function"]);
  assert.equal(view.tools["run1.same_in_every_request"], true);
  assert.deepEqual(view.outputs["c1.framing"], [
    "Chunk ID: <CHUNK>",
    "Process exited with code 0",
    "Output:",
  ]);
  assert.deepEqual(view.json["run1.kinds"], ["thread.started", "turn.started"]);
  assert.deepEqual(view.rollout["keys.session_meta"], ["id"]);
  assert.deepEqual(view.files, { "README.md": "# demo\n" });
  assert.equal(view.stdout.run1, undefined, "stdout of a --json run is compared as events");
});

const OUR_PROSE = prosePlaceholder("<rules>\nour words\n</rules>");

Deno.test("our own prose is no difference; every compared field is", () => {
  const upstream = recording();
  assert.deepEqual(
    compareRecordings(upstream, recording({ prose: "<rules>\nour words\n</rules>" })).differences,
    [],
  );

  const cases: Array<[string, Parameters<typeof recording>[0], string]> = [
    ["a different tag", { prose: "<other>\nx\n</other>" }, "body"],
    [
      "a tool parameter",
      {
        tools: [{
          type: "function",
          name: "exec_command",
          description: OUR_PROSE,
          parameters: {
            type: "object",
            properties: { cmd: { type: "array", description: OUR_PROSE } },
          },
        }],
      },
      "tools",
    ],
    ["output framing", { output: "Exit code: 0\nOutput:\nREADME.md\n" }, "outputs"],
    ["a header", { headers: { accept: "*/*", originator: "codex_exec" } }, "headers"],
    ["a --json event", { stdout: '{"type":"thread.started","thread_id":"<UUID#1>"}\n' }, "json"],
    ["a rollout line", { rollout: [] }, "rollout"],
  ];
  for (const [what, change, category] of cases) {
    const result = compareRecordings(upstream, recording(change));
    assert.ok(
      result.differences.some((d) => d.category === category),
      `${what}: expected a difference under ${category}, got ${JSON.stringify(result.differences)}`,
    );
    assert.equal(passed(result), false);
  }
  const tool = compareRecordings(upstream, recording(cases[1][1])).differences.find((d) =>
    d.category === "tools"
  )!;
  assert.equal(tool.field, "run1.exec_command.parameters.properties.cmd.type");
  assert.deepEqual([tool.expected, tool.actual], ["string", "array"]);
});

Deno.test("diffViews reports missing fields of a subject that sent nothing", () => {
  const silent = recording();
  silent.runs[0].requests = [];
  silent.runs[0].exit_code = 2;
  const diffs = diffViews(canonicalise(recording()), canonicalise(silent));
  assert.deepEqual(diffs.find((d) => d.category === "exit"), {
    category: "exit",
    field: "run1",
    expected: 0,
    actual: 2,
  });
  assert.ok(diffs.some((d) => d.field === "run1.count" && d.actual === 0));
  // The request count says it all: no per-field "missing" for requests that were never sent.
  assert.deepEqual(diffs.filter((d) => ["body", "tools", "headers"].includes(d.category)), []);
});

Deno.test("a missing tool shows once in the names, a missing parameter at its path", () => {
  const tool = (name: string, properties: Record<string, unknown>) => ({
    type: "function",
    name,
    description: OUR_PROSE,
    parameters: { type: "object", properties },
  });
  const upstream = recording({
    tools: [
      tool("exec_command", { cmd: { type: "string" }, tty: { type: "boolean" } }),
      tool("x", {}),
    ],
  });
  const ours = recording({ tools: [tool("exec_command", { cmd: { type: "string" } })] });
  const tools = compareRecordings(upstream, ours).differences.filter((d) => d.category === "tools");
  assert.deepEqual(tools.map((d) => [d.field, d.expected, d.actual]), [
    ["run1.names", ["exec_command:function", "x:function"], ["exec_command:function"]],
    ["run1.exec_command.parameters.properties.tty", { type: "boolean" }, MISSING],
  ]);
  assert.equal(listDelta(tools[0].expected, tools[0].actual), '−"x:function"@1');
  assert.equal(listDelta(["a", "b", "c"], ["a", "c", "d"]), '−"b"@1 +"d"@3');
  assert.equal(listDelta(["a", "t", "b", "t"], ["a", "b", "t"]), '−"t"@1');
  assert.equal(listDelta("a", ["a"]), undefined);
});

Deno.test("reports: one row per scenario, a cell per category, then the differences", () => {
  const bad = compareRecordings(
    recording(),
    recording({ headers: { accept: "*/*", originator: "x" } }),
  );
  const report = {
    upstream: "0.115.0",
    subject: "tscodex",
    results: [
      bad,
      { ...compareRecordings(recording(), recording()), scenario: "same" },
      { scenario: "gone", error: "no fixture", compared: [], differences: [] },
    ],
  };
  const md = renderMarkdown(report);
  assert.match(md, /1 of 3 scenarios match/);
  assert.match(md, /\| demo \| ✓ \| · \| ✓ \| ✓ \| ✓ \| ✓ \| ✓ \| ✗ 2 \| ✓ \| ✓ \| ✓ \|/);
  assert.match(md, /\| same \| ✓ \|/);
  assert.match(md, /\| gone \| error: no fixture \|/);
  assert.match(md, /\| headers \| run1.accept \| "text\/event-stream" \| "\*\/\*" \|/);
  const json = JSON.parse(renderJson(report));
  assert.deepEqual(json.summary, { scenarios: 3, passed: 1, differences: 2 });
});

Deno.test("transport headers and notice wording are no difference; the retry counter is", () => {
  const events = (retry: string, failure: string) =>
    [
      { type: "error", message: retry },
      { type: "turn.failed", error: { message: failure } },
    ].map((e) => JSON.stringify(e)).join("\n") + "\n";
  const upstream = recording({
    headers: { accept: "text/event-stream", originator: "codex_exec" },
    stdout: events("Reconnecting... 1/2 (upstream's words)", "upstream's words"),
  });
  const ours = recording({
    headers: {
      accept: "text/event-stream",
      originator: "codex_exec",
      "accept-encoding": "gzip, br",
      "accept-language": "*",
      connection: "keep-alive",
    },
    stdout: events("Reconnecting... 1/2 (our words, naming the provider)", "our words"),
  });
  assert.deepEqual(compareRecordings(upstream, ours).differences, []);

  const counted = recording({ stdout: events("Reconnecting... 2/2 (x)", "y") });
  assert.deepEqual(
    compareRecordings(upstream, counted).differences.map((d) => [d.field, d.actual]),
    [["run1.event1.message", "Reconnecting... 2/2 (<message>)"]],
  );
  const extra = recording({
    headers: { accept: "text/event-stream", originator: "x", extra: "1" },
  });
  assert.ok(compareRecordings(upstream, extra).differences.some((d) => d.category === "headers"));
});
