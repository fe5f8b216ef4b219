// Scenario files script the fake Responses server: one scripted response per request index, and
// optionally further scripts for requests that carry a given header (a sub-agent's requests race
// the main agent's, so one list in order of arrival could not say which answer goes to whom).
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { FileError } from "../platform/mod.ts";

const ScriptedMessage = z.strictObject({
  type: z.literal("message"),
  id: z.string().optional(),
  /**
   * May hold `{{output:CALL_ID}}`, replaced by that call's output text from the request, and
   * `{{output_field:CALL_ID:PATH}}`, replaced by the field at the dotted PATH of that output read
   * as JSON (e.g. the `agent_id` a spawn_agent call returned).
   */
  text: z.string(),
  phase: z.string().optional(),
});

const ScriptedFunctionCall = z.strictObject({
  type: z.literal("function_call"),
  id: z.string().optional(),
  call_id: z.string().optional(),
  name: z.string().min(1),
  namespace: z.string().optional(),
  /**
   * A JSON object is serialised; a string is sent as written (it may be invalid JSON on purpose).
   * Templates as in messages, plus `{{exec_session:CALL_ID}}`: the session id in that call's output.
   */
  arguments: z.union([z.string(), z.record(z.string(), z.unknown())]),
});

const ScriptedCustomToolCall = z.strictObject({
  type: z.literal("custom_tool_call"),
  id: z.string().optional(),
  call_id: z.string().optional(),
  name: z.string().min(1),
  input: z.string(),
});

const ScriptedReasoning = z.strictObject({
  type: z.literal("reasoning"),
  id: z.string().optional(),
  summary: z.array(z.string()).default([]),
  content: z.array(z.string()).optional(),
  encrypted_content: z.string().optional(),
});

const ScriptedWebSearch = z.strictObject({
  type: z.literal("web_search_call"),
  id: z.string().optional(),
  action: z.looseObject({ type: z.string() }).optional(),
});

export const ScriptedItem = z.discriminatedUnion("type", [
  ScriptedMessage,
  ScriptedFunctionCall,
  ScriptedCustomToolCall,
  ScriptedReasoning,
  ScriptedWebSearch,
]);
export type ScriptedItem = z.infer<typeof ScriptedItem>;

export const Fault = z.discriminatedUnion("kind", [
  /** Answer with this HTTP status and body instead of a stream. */
  z.strictObject({
    kind: z.literal("http_status"),
    status: z.number().int().min(400).max(599),
    body: z.unknown().optional(),
    headers: z.record(z.string(), z.string()).optional(),
  }),
  /** Close the stream after this many events, without a terminal event. */
  z.strictObject({ kind: z.literal("cut"), after_events: z.number().int().min(0) }),
  /** Wait before sending the response headers. */
  z.strictObject({ kind: z.literal("delay"), ms: z.number().int().min(0) }),
  /** Stop sending after this many events and hold the connection open (for `ms`, or until the client leaves). */
  z.strictObject({
    kind: z.literal("stall"),
    after_events: z.number().int().min(0),
    ms: z.number().int().min(0).optional(),
  }),
]);
export type Fault = z.infer<typeof Fault>;

export const ScriptedResponse = z.strictObject({
  id: z.string().optional(),
  output: z.array(ScriptedItem).default([]),
  status: z.enum(["completed", "failed", "incomplete"]).default("completed"),
  error: z.strictObject({ code: z.string().optional(), message: z.string() }).optional(),
  incomplete_reason: z.string().optional(),
  usage: z.strictObject({
    input_tokens: z.number().int().min(0),
    cached_input_tokens: z.number().int().min(0).default(0),
    output_tokens: z.number().int().min(0),
    reasoning_output_tokens: z.number().int().min(0).default(0),
  }).optional(),
  /** Deltas of each text are split into this many chunks. */
  chunks: z.number().int().min(1).default(1),
  /** Pause between events, to make streaming observable. */
  event_delay_ms: z.number().int().min(0).default(0),
  fault: Fault.optional(),
});
export type ScriptedResponse = z.infer<typeof ScriptedResponse>;

const AfterLast = z.enum(["error", "repeat_last"]).default("error");

/** A script of its own for the requests that carry a header, e.g. a sub-agent's. */
export const ScriptRoute = z.strictObject({
  /** Names the route in response and item ids and in error messages. */
  name: z.string().regex(/^[A-Za-z0-9_-]+$/, "letters, digits, dashes and underscores"),
  /** The header's name (any case). */
  header: z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "an HTTP header name"),
  /** The header's exact value; any value when absent (and `contains` is absent too). */
  value: z.string().optional(),
  /**
   * A text the header's value must contain, for headers that mix a marker with values that change
   * from run to run (upstream's title requests say `"thread_source":"thread_title"` among ids in
   * `x-codex-turn-metadata`).
   */
  contains: z.string().min(1).optional(),
  responses: z.array(ScriptedResponse).min(1),
  after_last: AfterLast,
}).refine((route) => route.value === undefined || route.contains === undefined, {
  message: "value and contains exclude each other: give one",
  path: ["contains"],
});
export type ScriptRoute = z.infer<typeof ScriptRoute>;

export const Scenario = z.strictObject({
  name: z.string().default("scenario"),
  description: z.string().optional(),
  /** The script of every request no route takes. */
  responses: z.array(ScriptedResponse).min(1),
  /** What to do with requests past the script: fail loudly, or serve the last response again. */
  after_last: AfterLast,
  /** Checked in order; the first whose header matches serves the request from its own script. */
  routes: z.array(ScriptRoute).default([]),
}).superRefine((scenario, ctx) => {
  const seen = new Set<string>();
  scenario.routes.forEach((route, i) => {
    if (seen.has(route.name)) {
      ctx.addIssue({
        code: "custom",
        path: ["routes", i, "name"],
        message: `route name "${route.name}" is used twice`,
      });
    }
    seen.add(route.name);
  });
});
export type Scenario = z.infer<typeof Scenario>;
export type ScenarioInput = z.input<typeof Scenario>;

export class ScenarioError extends Error {
  constructor(readonly file: string, readonly issuePath: string, detail: string) {
    super(`invalid scenario ${file}${issuePath ? ` at ${issuePath}` : ""}: ${detail}`);
    this.name = "ScenarioError";
  }
}

export function parseScenario(value: unknown, file = "<inline>"): Scenario {
  const parsed = Scenario.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("")
    .replace(/^\./, "");
  throw new ScenarioError(file, path, issue.message);
}

export async function loadScenario(file: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new FileError("read the scenario", file, err, "give the path of a scenario JSON file");
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ScenarioError(file, "", `not valid JSON (${(err as Error).message})`);
  }
  return parseScenario(value, file);
}
