// One test per check: a scripted provider over real HTTP answers every request correctly except
// for exactly one defect, and the grader must fail that check and pass every other.
import assert from "node:assert/strict";
import { CHECK_NAMES, type CheckName, REQUIRED_RESPONSE_FIELDS } from "./grade.ts";
import { serveHttp } from "../src/platform/mod.ts";
import { gradeProvider, type ProviderCard } from "./provider.ts";
import { fixturesWith, gradeReference } from "./testdata/recorded.ts";
import {
  type Answer,
  type ReferenceOptions,
  ReferenceProvider,
} from "./testdata/reference_provider.ts";

type Json = Record<string, unknown>;

function failedChecks(card: ProviderCard): Map<string, string[]> {
  const failed = new Map<string, string[]>();
  for (const result of card.results) {
    for (const check of result.checks.filter((c) => !c.ok)) {
      failed.set(check.name, [...(failed.get(check.name) ?? []), `${result.id}: ${check.detail}`]);
    }
  }
  return failed;
}

const isStream = (answer: Answer) => answer.events !== undefined && answer.status === 200;
const streamed = (request: Json | undefined) => request?.stream === true;
const events = (answer: Answer) => answer.events as Json[];
const ofType = (answer: Answer, type: string) => events(answer).filter((e) => e.type === type);
const terminal = (answer: Answer) => ofType(answer, "response.completed")[0];
const responses = (answer: Answer): Json[] =>
  answer.events
    ? events(answer).map((e) => e.response as Json).filter(Boolean)
    : [answer.body as Json];

/** The defect for each check, applied to every answer it concerns. */
const DEFECTS: Record<CheckName, ReferenceOptions> = {
  "http-status": {
    defect: (answer, request) =>
      request?.input === "Say hello."
        ? { status: 500, contentType: "application/json", body: { error: { message: "down" } } }
        : answer,
  },
  "error-body": {
    defect: (answer) =>
      answer.status === 400
        ? { status: 400, contentType: "text/plain", body: "bad request" }
        : answer,
  },
  "event-stream": {
    defect: (answer) =>
      isStream(answer) ? { ...answer, contentType: "application/octet-stream" } : answer,
  },
  "events-json": {
    defect: (answer) =>
      isStream(answer) ? { ...answer, events: ["keep-alive", ...events(answer)] } : answer,
  },
  "event-order": {
    // An output_text.delta sent before its message was announced.
    defect: (answer) => {
      if (!isStream(answer)) return answer;
      const list = events(answer);
      const delta = list.findIndex((e) => e.type === "response.output_text.delta");
      const added = list.findIndex((e, i) =>
        e.type === "response.output_item.added" && e.output_index === list[delta].output_index &&
        i < delta
      );
      const moved = [...list];
      const [event] = moved.splice(delta, 1);
      moved.splice(added, 0, event);
      return { ...answer, events: moved.map((e, sequence_number) => ({ ...e, sequence_number })) };
    },
  },
  "terminal-event": {
    defect: (answer) => {
      if (!isStream(answer)) return answer;
      const last = events(answer).at(-1)!;
      return {
        ...answer,
        events: [...events(answer), {
          ...last,
          sequence_number: (last.sequence_number as number) + 1,
        }],
      };
    },
  },
  "sequence-numbers": {
    defect: (answer) => {
      if (!isStream(answer)) return answer;
      const list = events(answer);
      return { ...answer, events: list.map((e, i) => i === 3 ? { ...e, sequence_number: 1 } : e) };
    },
  },
  "item-ids": {
    defect: (answer) => {
      if (!isStream(answer)) return answer;
      ofType(answer, "response.output_text.delta")[0].item_id = "msg_elsewhere";
      return answer;
    },
  },
  "done-text": {
    defect: (answer) => {
      if (!isStream(answer)) return answer;
      ofType(answer, "response.output_text.done")[0].text = "Something else entirely.";
      return answer;
    },
  },
  "arguments-json": {
    defect: (answer, request) => {
      if (!streamed(request) || !isStream(answer)) return answer;
      const bad = "{city: Paris";
      for (const e of events(answer)) {
        if (e.type === "response.function_call_arguments.delta") e.delta = "";
        if (e.type === "response.function_call_arguments.done") e.arguments = bad;
        const items = [e.item, ...((e.response as Json)?.output as Json[] ?? [])] as Json[];
        for (const item of items) if (item?.type === "function_call") item.arguments = bad;
      }
      ofType(answer, "response.function_call_arguments.delta").forEach((e, i) =>
        e.delta = i ? "" : bad
      );
      return answer;
    },
  },
  "call-ids": {
    defect: (answer) => {
      if (!isStream(answer)) return answer;
      for (const e of events(answer)) {
        const items = [e.item, ...((e.response as Json)?.output as Json[] ?? [])] as Json[];
        for (const item of items) if (item?.type === "function_call") item.call_id = "";
      }
      return answer;
    },
  },
  "custom-tools": { customAsFunction: true },
  "final-status": {
    defect: (answer) => {
      for (const response of responses(answer)) {
        if (response?.status === "completed") response.status = "in_progress";
      }
      return answer;
    },
  },
  "final-output": {
    defect: (answer) => {
      if (isStream(answer)) (terminal(answer).response as Json).output = [];
      return answer;
    },
  },
  usage: {
    defect: (answer) => {
      for (const response of responses(answer)) {
        if (response?.status === "completed") delete (response.usage as Json).total_tokens;
      }
      return answer;
    },
  },
  "response-fields": {
    defect: (answer) => {
      for (const response of responses(answer)) {
        if (response?.object === "response") delete response.tools;
      }
      return answer;
    },
  },
  reasoning: {
    defect: (answer) => {
      for (const e of events(answer) ?? []) {
        const items = [e.item, ...((e.response as Json)?.output as Json[] ?? [])] as Json[];
        for (const item of items) {
          if (item?.type === "reasoning") {
            item.summary = (item.summary as Json[]).map((s) => ({ ...s, type: "text" }));
          }
        }
      }
      return answer;
    },
  },
  "non-streaming": {
    defect: (answer, request, path) => {
      if (request?.stream !== false || path.endsWith("/compact") || answer.status !== 200) {
        return answer;
      }
      const response = answer.body as Json;
      return {
        status: 200,
        contentType: "text/event-stream",
        events: [{ type: "response.completed", sequence_number: 0, response }],
      };
    },
  },
  compaction: {
    defect: (answer, _request, path) => {
      if (path.endsWith("/compact")) (answer.body as Json).object = "response";
      return answer;
    },
  },
};

Deno.test("grade: the reference provider passes every check on every request", async () => {
  const card = await gradeReference({});
  assert.deepEqual(Object.fromEntries(failedChecks(card)), {});
  const used = new Set(card.results.flatMap((r) => r.checks.map((c) => c.name)));
  assert.deepEqual(CHECK_NAMES.filter((name) => !used.has(name)), [], "every check is exercised");
  assert.deepEqual(card.results.map((r) => r.id), [
    "codex/demo/run-1/001",
    "spec/string-input",
    "spec/string-content",
    "spec/typeless-items",
    "spec/system-prompt",
    "spec/image-input",
    "spec/multi-turn",
    "spec/non-streaming",
    "spec/previous-response-id/1",
    "spec/previous-response-id/2",
    "spec/tool-follow-up/1",
    "spec/tool-follow-up/2",
    "spec/compact",
    "spec/invalid-json",
  ]);
});

/** A stream defect applied to every streamed answer. */
const inStreams = (edit: (events: Json[]) => Json[] | void): ReferenceOptions => ({
  defect: (answer) =>
    isStream(answer) ? { ...answer, events: edit(events(answer)) ?? answer.events } : answer,
});
const setDone = (type: string, field: string, value: string) =>
  inStreams((list) => {
    const done = list.find((e) => e.type === type);
    if (done) done[field] = value;
  });

/** More ways to break the same rules, each still caught by its check alone. */
const MORE_DEFECTS: Array<[CheckName, string, ReferenceOptions]> = [
  ["event-order", "response.created missing", inStreams((list) => list.slice(1))],
  [
    "event-order",
    "an item never closed",
    inStreams((list) => {
      const last = list.findLastIndex((e) => e.type === "response.output_item.done");
      const item = list[last].item as Json;
      const terminal = list.at(-1)!.response as Json;
      terminal.output = (terminal.output as Json[]).filter((i) => i.id !== item.id);
      return list.filter((_, i) => i !== last);
    }),
  ],
  [
    "event-order",
    "a text delta before its content part",
    inStreams((list) => {
      const part = list.findIndex((e) => e.type === "response.content_part.added");
      const [moved] = list.splice(part, 1);
      const done = list.findIndex((e) => e.type === "response.output_text.done");
      list.splice(done, 0, moved);
      return list.map((e, sequence_number) => ({ ...e, sequence_number }));
    }),
  ],
  ["terminal-event", "no terminal event", inStreams((list) => list.slice(0, -1))],
  [
    "sequence-numbers",
    "a sequence_number missing",
    inStreams((list) => {
      delete list[5].sequence_number;
    }),
  ],
  [
    "done-text",
    "reasoning summary done differs",
    setDone("response.reasoning_summary_text.done", "text", "other"),
  ],
  [
    "done-text",
    "arguments done differs",
    setDone("response.function_call_arguments.done", "arguments", '{"city":"Rome"}'),
  ],
  [
    "done-text",
    "custom input done differs",
    setDone("response.custom_tool_call_input.done", "input", "other"),
  ],
  [
    "done-text",
    "arguments done missing",
    inStreams((list) => list.filter((e) => e.type !== "response.function_call_arguments.done")),
  ],
  [
    "item-ids",
    "the final output renames an item",
    inStreams((list) => {
      ((list.at(-1)!.response as Json).output as Json[])[1].id = "msg_renamed";
    }),
  ],
  [
    "item-ids",
    "the response id changes",
    inStreams((list) => {
      (list.at(-1)!.response as Json).id = "resp_other";
    }),
  ],
  [
    "final-status",
    "response.failed",
    inStreams((list) => {
      const last = list.at(-1)!;
      last.type = "response.failed";
      (last.response as Json).status = "failed";
      (last.response as Json).error = { code: "server_error", message: "boom" };
    }),
  ],
  [
    "final-output",
    "the final output differs from the done items",
    inStreams((list) => {
      const output = (list.at(-1)!.response as Json).output as Json[];
      output[1] = { ...output[1], status: "incomplete" };
    }),
  ],
  ["usage", "no usage", {
    defect: (answer) => {
      for (const response of responses(answer)) {
        if (response?.status === "completed") response.usage = null;
      }
      return answer;
    },
  }],
];

for (const name of CHECK_NAMES) {
  Deno.test(`grade: ${name} fails on its defect alone`, async () => {
    const failed = failedChecks(await gradeReference(DEFECTS[name]));
    assert.deepEqual(
      [...failed.keys()],
      [name],
      JSON.stringify(Object.fromEntries(failed), null, 1),
    );
  });
}

for (const [name, what, defect] of MORE_DEFECTS) {
  Deno.test(`grade: ${name} also fails alone on ${what}`, async () => {
    const failed = failedChecks(await gradeReference(defect));
    assert.deepEqual(
      [...failed.keys()],
      [name],
      JSON.stringify(Object.fromEntries(failed), null, 1),
    );
  });
}

Deno.test("grade: a follow-up step sees what the first step got", async () => {
  const provider = await new ReferenceProvider().start();
  try {
    await gradeProvider({
      baseUrl: provider.baseUrl,
      fixturesDir: await fixturesWith(),
      upstream: "0.115.0",
    });
    const sent = provider.requests.map((r) => r.body as Json);
    const second = sent.find((b) => b.previous_response_id !== undefined)!;
    const first = sent.find((b) =>
      (b.input as Json[])?.[0]?.content === "Remember the word lantern."
    )!;
    assert.match(String(second.previous_response_id), /^resp_\d+$/);
    assert.notEqual(first, undefined);
    const followUp = sent.find((b) =>
      Array.isArray(b.input) && b.input.some((i: Json) => i.type === "function_call_output")
    )!;
    const call = (followUp.input as Json[]).find((i) => i.type === "function_call")!;
    assert.match(String(call.call_id), /^call_\d+_\d+$/, "the call id the provider picked");
  } finally {
    await provider.close();
  }
});

Deno.test("grade: the spec's required response fields are all checked", () => {
  for (
    const field of [
      "id",
      "created_at",
      "completed_at",
      "status",
      "output",
      "usage",
      "tools",
      "tool_choice",
      "text",
      "store",
      "truncation",
    ]
  ) {
    assert.ok(REQUIRED_RESPONSE_FIELDS.includes(field), field);
  }
});

Deno.test("grade: a stream that stalls is cut at --timeout and graded as it stands", async () => {
  const server = await serveHttp({ hostname: "127.0.0.1", port: 0 }, async (request) => {
    await request.text();
    const created = { type: "response.created", sequence_number: 0, response: { id: "r" } };
    // Open until the client goes away: the first event, then nothing.
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(`data: ${JSON.stringify(created)}\n\n`));
      },
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  });
  try {
    const card = await gradeProvider({
      baseUrl: `${server.url}/v1`,
      fixturesDir: await fixturesWith(),
      upstream: "0.115.0",
      timeoutMs: 300,
      parallel: 8,
    });
    const codex = card.results[0];
    const terminal = codex.checks.find((c) => c.name === "terminal-event")!;
    assert.match(
      terminal.detail!,
      /no terminal event \(the answer broke off: no complete answer within 0\.3 s\)/,
    );
  } finally {
    await server.close();
  }
});
