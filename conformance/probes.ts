// What provider grading sends: every distinct request body upstream Codex sent in the recorded
// scenarios, and a generic set written from the Open Responses specification, for the shapes
// other clients (SDKs, agents frameworks) send and Codex never does.
import { join } from "node:path";
import { listDir, pathExists } from "./files.ts";
import { readFixture } from "./fixtures.ts";
import type { Expectation, Observation } from "./grade.ts";

/** One request to send. */
export interface Probe {
  /** `codex/<scenario>/run-N/NNN` or `spec/<name>` (`/N` for a step of a conversation). */
  id: string;
  source: "codex" | "spec";
  /** What the request exercises, for the report. */
  about: string;
  path: "/responses" | "/responses/compact";
  /** The JSON body; a string is sent as it is (a malformed body on purpose). */
  body: unknown;
  expect: Expectation;
}

/** What an earlier step of the same job sent and got. */
export interface Step {
  probe: Probe;
  observation: Observation;
}

/**
 * Requests that go out in order, each step built from what the earlier ones got (a follow-up
 * needs the first response's id or tool call). Jobs run concurrently with each other.
 */
export type Job = Array<(earlier: Step[]) => Probe>;

type Json = Record<string, unknown>;

const isRecord = (value: unknown): value is Json =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/** The final response object of an exchange: the terminal event's, or the JSON body. */
export function finalResponse(observation: Observation): Json | undefined {
  for (const event of [...observation.events].reverse()) {
    if (
      isRecord(event) && isRecord(event.response) &&
      /^response\.(completed|failed|incomplete)$/.test(String(event.type))
    ) {
      return event.response;
    }
  }
  return isRecord(observation.body) && observation.body.object === "response"
    ? observation.body
    : undefined;
}

/** The distinct request bodies of the recorded scenarios, one job each. */
export async function recordedProbes(
  fixturesDir: string,
  upstream: string,
  only: string[] = [],
): Promise<Probe[]> {
  const dir = join(fixturesDir, "upstream", upstream);
  if (!(await pathExists(dir))) {
    throw new Error(`no fixtures for upstream ${upstream} in ${fixturesDir}`);
  }
  const seen = new Set<string>();
  const out: Probe[] = [];
  const scenarios = (await listDir(dir)).sort();
  const unknown = only.filter((name) => !scenarios.includes(name));
  if (unknown.length) {
    throw new Error(
      `no recorded scenario named ${unknown.join(", ")} for upstream ${upstream} (have: ${
        scenarios.join(", ")
      })`,
    );
  }
  for (const scenario of scenarios) {
    if (only.length && !only.includes(scenario)) continue;
    const { recording } = await readFixture(join(dir, scenario));
    for (const [r, run] of recording.runs.entries()) {
      for (const [q, request] of run.requests.entries()) {
        if (request.method !== "POST" || !/\/responses$/.test(request.path)) continue;
        const key = JSON.stringify(request.body);
        if (seen.has(key)) continue;
        seen.add(key);
        const body = request.body as Json;
        out.push({
          id: `codex/${scenario}/run-${r + 1}/${String(q + 1).padStart(3, "0")}`,
          source: "codex",
          about: `what upstream Codex ${upstream} sent in the ${scenario} scenario`,
          path: "/responses",
          body,
          expect: body.stream === true ? "stream" : "json",
        });
      }
    }
  }
  return out;
}

const user = (text: string) => ({ type: "message", role: "user", content: text });

// A 16×16 red square.
const PNG =
  "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAIAAACQkWg2AAAAFklEQVR42mM4oaFBEmIY1TCqYfhqAAB8MxgQ+iSj5QAAAABJRU5ErkJggg==";

const WEATHER_TOOL = {
  type: "function",
  name: "get_weather",
  description: "Look up the current weather of a city.",
  parameters: {
    type: "object",
    properties: { city: { type: "string", description: "The city's name." } },
    required: ["city"],
    additionalProperties: false,
  },
  strict: true,
};

/** The first function call of an exchange's final output, if any. */
function firstCall(step: Step | undefined): Json | undefined {
  const output = step ? finalResponse(step.observation)?.output : undefined;
  return Array.isArray(output)
    ? output.find((i): i is Json => isRecord(i) && i.type === "function_call")
    : undefined;
}

/**
 * The generic set: each a conversation of one or more requests for `model`. Names are stable; the
 * reports and `--report json` use them.
 */
export function specJobs(model: string): Job[] {
  const streamed = (
    name: string,
    about: string,
    body: Json,
    expect: Expectation = "stream",
  ): Probe => ({
    id: `spec/${name}`,
    source: "spec",
    about,
    path: "/responses",
    body: { model, stream: expect === "stream", ...body },
    expect,
  });
  const single = (probe: Probe): Job => [() => probe];
  return [
    single(streamed("string-input", "input as a plain string", { input: "Say hello." })),
    single(streamed("string-content", "a message item whose content is a string", {
      input: [user("Say hello.")],
    })),
    single(streamed("typeless-items", "input items without `type` (EasyInputMessage)", {
      input: [{ role: "user", content: "Say hello." }],
    })),
    single(streamed("system-prompt", "system and developer messages, and `instructions`", {
      instructions: "Answer in one short sentence.",
      input: [
        { type: "message", role: "system", content: "You are terse." },
        { type: "message", role: "developer", content: "Never use more than ten words." },
        user("Say hello."),
      ],
    })),
    single(streamed("image-input", "an input_image given as a data URL", {
      input: [{
        type: "message",
        role: "user",
        content: [
          { type: "input_text", text: "What colour is this image?" },
          { type: "input_image", image_url: PNG, detail: "low" },
        ],
      }],
    })),
    single(streamed("multi-turn", "earlier user and assistant turns as history", {
      input: [
        user("Remember the number 7."),
        {
          type: "message",
          role: "assistant",
          content: [{ type: "output_text", text: "I will remember 7.", annotations: [] }],
        },
        user("Which number did I ask you to remember?"),
      ],
    })),
    single(streamed("non-streaming", "`stream: false`: one JSON response object", {
      input: [user("Say hello.")],
    }, "json")),
    [
      () =>
        streamed("previous-response-id/1", "a stored first turn", {
          input: [user("Remember the word lantern.")],
          store: true,
        }),
      ([first]) => {
        const id = finalResponse(first.observation)?.id;
        return streamed("previous-response-id/2", "a follow-up naming the first response", {
          previous_response_id: typeof id === "string" ? id : "resp_missing",
          input: [user("Which word did I ask you to remember?")],
          store: true,
        });
      },
    ],
    [
      () =>
        streamed("tool-follow-up/1", "a function tool the model may call", {
          input: [user("What is the weather in Paris? Use the tool.")],
          tools: [WEATHER_TOOL],
          tool_choice: "auto",
        }),
      ([first]) => {
        const call = firstCall(first);
        const callId = typeof call?.call_id === "string" ? call.call_id : "call_weather_1";
        return streamed("tool-follow-up/2", "the tool's output sent back with the history", {
          input: [
            user("What is the weather in Paris? Use the tool."),
            {
              type: "function_call",
              call_id: callId,
              name: "get_weather",
              arguments: typeof call?.arguments === "string" ? call.arguments : '{"city":"Paris"}',
            },
            { type: "function_call_output", call_id: callId, output: "Sunny, 21 °C." },
          ],
          tools: [WEATHER_TOOL],
        });
      },
    ],
    single({
      id: "spec/compact",
      source: "spec",
      about: "POST /responses/compact of a short conversation",
      path: "/responses/compact",
      body: {
        model,
        input: [
          user("Remember the number 7."),
          {
            type: "message",
            role: "assistant",
            content: [{ type: "output_text", text: "I will remember 7.", annotations: [] }],
          },
        ],
      },
      expect: "compaction",
    }),
    single({
      id: "spec/invalid-json",
      source: "spec",
      about: "a body that is not JSON: a 4xx with a JSON error",
      path: "/responses",
      body: `{"model": ${JSON.stringify(model)}, "input": `,
      expect: "error",
    }),
  ];
}

/** The recorded requests' model, for the generic set when no --model is given. */
export function recordedModel(probes: Probe[]): string | undefined {
  for (const probe of probes) {
    if (isRecord(probe.body) && typeof probe.body.model === "string") return probe.body.model;
  }
  return undefined;
}
