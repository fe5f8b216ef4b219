import assert from "node:assert/strict";
import { gradeStream, type Observation } from "./grade.ts";

const REQUEST = {
  tools: [{ type: "function", name: "exec_command" }, { type: "custom", name: "apply_patch" }],
};

function good(): unknown[] {
  const call = {
    type: "function_call",
    id: "fc_1",
    call_id: "call_1",
    name: "exec_command",
    arguments: '{"cmd":"ls"}',
  };
  const reasoning = {
    type: "reasoning",
    id: "rs_1",
    summary: [{ type: "summary_text", text: "t" }],
  };
  return [
    { type: "response.created", response: { id: "r" } },
    { type: "response.output_item.added", output_index: 0, item: { ...reasoning, summary: [] } },
    { type: "response.output_item.done", output_index: 0, item: reasoning },
    { type: "response.output_item.added", output_index: 1, item: { ...call, arguments: "" } },
    {
      type: "response.function_call_arguments.delta",
      item_id: "fc_1",
      output_index: 1,
      delta: '{"cmd":"ls"}',
    },
    {
      type: "response.function_call_arguments.done",
      item_id: "fc_1",
      output_index: 1,
      arguments: '{"cmd":"ls"}',
    },
    { type: "response.output_item.done", output_index: 1, item: call },
    {
      type: "response.completed",
      response: {
        id: "r",
        output: [reasoning, call],
        usage: { input_tokens: 1, output_tokens: 2, total_tokens: 3 },
      },
    },
  ];
}

function observed(events: unknown[], extra: Partial<Observation> = {}): Observation {
  return { status: 200, contentType: "text/event-stream", ttfbMs: 1, totalMs: 2, events, ...extra };
}

function failures(events: unknown[], extra: Partial<Observation> = {}): Record<string, string> {
  return Object.fromEntries(
    gradeStream(REQUEST, observed(events, extra)).filter((c) => !c.ok).map((
      c,
    ) => [c.name, c.detail ?? ""]),
  );
}

Deno.test("a well-formed stream passes every check that applies", () => {
  const checks = gradeStream(REQUEST, observed(good()));
  assert.deepEqual(checks.filter((c) => !c.ok), []);
  assert.deepEqual(checks.map((c) => c.name), [
    "http-status",
    "event-stream",
    "events-json",
    "created-first",
    "terminal-event",
    "item-ids",
    "completed-ids",
    "call-ids",
    "arguments-done",
    "arguments-json",
    "custom-tools",
    "usage",
    "reasoning",
  ]);
});

Deno.test("each defect is flagged by its own check", () => {
  type Event = Record<string, unknown> & {
    item: Record<string, unknown>;
    response: Record<string, unknown>;
  };
  const events = good() as Event[];
  const without = (type: string) => events.filter((e) => e.type !== type);
  const replace = (i: number, value: Event) => events.map((e, j) => (j === i ? value : e));
  const call = events[6].item;

  assert.match(failures(without("response.completed"))["terminal-event"], /no terminal event/);
  assert.match(
    failures([...events, { type: "response.completed", response: {} }])["terminal-event"],
    /2 terminal/,
  );
  assert.match(
    failures(events.slice(1))["created-first"],
    /first event is response.output_item.added/,
  );
  assert.match(
    failures(without("response.function_call_arguments.done"))["arguments-done"],
    /exec_command/,
  );
  assert.match(
    failures(replace(6, { ...events[6], item: { ...call, id: "fc_other" } }))["item-ids"],
    /fc_other was never added/,
  );
  assert.match(
    failures(
      replace(7, { ...events[7], response: { ...events[7].response, output: [call] } }),
    )["completed-ids"],
    /completed lists/,
  );
  assert.match(
    failures(replace(6, { ...events[6], item: { ...call, call_id: "" } }))["call-ids"],
    /no call_id/,
  );
  const badArgs = { ...call, arguments: "not json" };
  const broken = replace(6, { ...events[6], item: badArgs }).map((e) =>
    e.type === "response.function_call_arguments.done" ? { ...e, arguments: "not json" } : e
  );
  assert.match(failures(broken)["arguments-json"], /not JSON/);
  const patch = { ...call, name: "apply_patch" };
  assert.match(
    failures(replace(6, { ...events[6], item: patch }))["custom-tools"],
    /apply_patch came as a function_call/,
  );
  assert.match(
    failures(replace(7, { ...events[7], response: { ...events[7].response, usage: undefined } }))
      .usage,
    /input_tokens, output_tokens, total_tokens/,
  );
  const badReasoning = { type: "reasoning", id: "rs_1", summary: "t" };
  assert.match(
    failures(replace(2, { ...events[2], item: badReasoning })).reasoning,
    /summary_text/,
  );
  assert.match(
    failures(events, { contentType: "application/json" })["event-stream"],
    /application\/json/,
  );
  assert.match(failures(["not json", ...events])["events-json"], /1 event/);
});

Deno.test("a refused request fails http-status, and custom-tools when it declared some", () => {
  const refused = observed([], { status: 400, errorText: '{"error":"unknown tool type custom"}' });
  assert.deepEqual(gradeStream(REQUEST, refused).map((c) => [c.name, c.ok]), [
    ["http-status", false],
    ["custom-tools", false],
  ]);
  assert.deepEqual(gradeStream({ tools: [] }, refused).map((c) => c.name), ["http-status"]);
});
