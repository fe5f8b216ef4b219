// Grading one exchange with a Responses provider for every rule a client relies on. Each rule is a
// named check; a failed check says what broke and carries the offending events as evidence, so a
// provider team can see the defect without re-running anything.

/** What came back for one request. */
export interface Observation {
  status: number;
  contentType: string;
  /** From sending the request to the first body byte; `null` when no byte came. */
  ttfbMs: number | null;
  totalMs: number;
  /** The data of each SSE message, parsed when it is JSON (an event stream's answer). */
  events: unknown[];
  /** A body that is not an event stream: parsed when it is JSON, else its text. */
  body?: unknown;
  /** Why the exchange broke off, when it did. */
  errorText?: string;
}

/**
 * What a well-behaved provider answers: an event stream (`stream: true`), one JSON response object
 * (`stream: false`), a compaction object (`/responses/compact`) or a 4xx with a JSON error body
 * (a request that is not valid).
 */
export type Expectation = "stream" | "json" | "compaction" | "error";

/** One offending event (with its position in the stream) or body. */
export interface Evidence {
  /** Position of the event in the stream; absent for a non-stream body. */
  index?: number;
  value: unknown;
}

export interface Check {
  name: CheckName;
  ok: boolean;
  detail?: string;
  evidence?: Evidence[];
}

/** Every check, in report order, with the rule it enforces (shown in the reports). */
export const CHECKS = {
  "http-status": "A valid request is answered with HTTP 200.",
  "error-body":
    "An HTTP error carries a JSON body with error.message; an invalid request gets a 4xx, not a 5xx or a 200.",
  "event-stream": "A streaming request is answered with content-type text/event-stream.",
  "events-json": "Every SSE message's data is a JSON object with a string `type`.",
  "event-order":
    "response.created comes first; every output item is announced by output_item.added (output_index 0, 1, 2, …) before its parts and deltas, and closed once by output_item.done after them; a content part is added before its deltas and done after them.",
  "terminal-event":
    "Exactly one terminal event (response.completed, response.failed or response.incomplete), and it is the last event.",
  "sequence-numbers": "Every event has an integer sequence_number, strictly increasing.",
  "item-ids":
    "An item keeps one non-empty id from output_item.added through its deltas and output_item.done to the final response's output; the response keeps one id from response.created to the terminal event.",
  "done-text":
    "Each .done event (text, refusal, reasoning summary, reasoning text, function arguments, custom tool input) equals the concatenation of its deltas, and the item closed by output_item.done holds the same text; every function call has its function_call_arguments.done.",
  "arguments-json": "Function-call arguments parse as a JSON object.",
  "call-ids": "Every tool call has a non-empty call_id, unique in the response.",
  "custom-tools":
    "A request declaring custom tools is accepted, and a call to a custom tool comes as a custom_tool_call with a string input (a function tool's as a function_call).",
  "final-status":
    "The response ends completed: response.completed whose response.status is `completed` (for a non-streaming request, the object's status).",
  "final-output":
    "The final response's output is not empty and equals the items closed by output_item.done, in order.",
  usage:
    "The final response carries usage: integer input_tokens, output_tokens and total_tokens (their sum), input_tokens_details.cached_tokens and output_tokens_details.reasoning_tokens.",
  "response-fields":
    "Every response object (in response.created, response.in_progress, the terminal event, a non-streaming answer) has every field the Open Responses specification requires, with its type.",
  reasoning: "A reasoning item has an id and a summary list of summary_text parts.",
  "non-streaming":
    "A request with stream: false is answered with one JSON response object (content-type application/json, object `response`), not an event stream.",
  compaction:
    "POST /responses/compact answers with a JSON object: id, object `response.compaction`, a non-empty output list, integer created_at and usage.",
} as const;

export type CheckName = keyof typeof CHECKS;
export const CHECK_NAMES = Object.keys(CHECKS) as CheckName[];

type Json = Record<string, unknown>;

const TERMINAL = new Set(["response.completed", "response.failed", "response.incomplete"]);

function isRecord(value: unknown): value is Json {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

const isInteger = (value: unknown) => typeof value === "number" && Number.isInteger(value);
const show = (value: unknown) => JSON.stringify(value) ?? String(value);

/** Collects the problems of one check, each with the events that show it. */
class Finding {
  readonly problems: string[] = [];
  readonly evidence: Evidence[] = [];
  #shown = new Set<number>();

  constructor(readonly name: CheckName) {}

  add(problem: string, ...evidence: Evidence[]): void {
    if (!this.problems.includes(problem)) this.problems.push(problem);
    for (const e of evidence) {
      if (e.index !== undefined) {
        if (this.#shown.has(e.index)) continue;
        this.#shown.add(e.index);
      }
      if (this.evidence.length < MAX_EVIDENCE) this.evidence.push(e);
    }
  }

  get check(): Check {
    if (!this.problems.length) return { name: this.name, ok: true };
    const shown = this.problems.slice(0, MAX_PROBLEMS);
    const more = this.problems.length - shown.length;
    return {
      name: this.name,
      ok: false,
      detail: shown.join("; ") + (more > 0 ? `; … ${more} more` : ""),
      ...(this.evidence.length ? { evidence: this.evidence } : {}),
    };
  }
}

const MAX_EVIDENCE = 6;
const MAX_PROBLEMS = 8;

/** One event of the stream with its position. */
interface Event {
  index: number;
  data: Json;
  type: string;
}

const at = (event: Event): Evidence => ({ index: event.index, value: event.data });

// The Open Responses specification's required fields of a response object and the JSON types each
// may take ("null" where the field is nullable).
const RESPONSE_FIELDS: Record<string, string[]> = {
  id: ["string"],
  object: ["string"],
  created_at: ["integer"],
  completed_at: ["integer", "null"],
  status: ["string"],
  incomplete_details: ["object", "null"],
  model: ["string"],
  previous_response_id: ["string", "null"],
  instructions: ["string", "array", "null"],
  output: ["array"],
  error: ["object", "null"],
  tools: ["array"],
  tool_choice: ["string", "object"],
  truncation: ["string"],
  parallel_tool_calls: ["boolean"],
  text: ["object"],
  top_p: ["number"],
  presence_penalty: ["number"],
  frequency_penalty: ["number"],
  top_logprobs: ["integer"],
  temperature: ["number"],
  reasoning: ["object", "null"],
  user: ["string", "null"],
  usage: ["object", "null"],
  max_output_tokens: ["integer", "null"],
  max_tool_calls: ["integer", "null"],
  store: ["boolean"],
  background: ["boolean"],
  service_tier: ["string"],
  metadata: ["object"],
  safety_identifier: ["string", "null"],
  prompt_cache_key: ["string", "null"],
};

export const REQUIRED_RESPONSE_FIELDS = Object.keys(RESPONSE_FIELDS);

function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function fieldProblems(response: unknown): string[] {
  if (!isRecord(response)) return ["the response object is missing"];
  const problems: string[] = [];
  for (const [field, types] of Object.entries(RESPONSE_FIELDS)) {
    if (!(field in response)) {
      problems.push(`${field} is missing`);
      continue;
    }
    const type = jsonType(response[field]);
    const fits = types.includes(type) || (type === "integer" && types.includes("number"));
    if (!fits) problems.push(`${field} is ${type}, expected ${types.join(" or ")}`);
  }
  if ("object" in response && response.object !== "response") {
    problems.push(`object is ${show(response.object)}, expected "response"`);
  }
  return problems;
}

function usageProblems(usage: unknown): string[] {
  if (!isRecord(usage)) return [`usage is ${usage === undefined ? "missing" : show(usage)}`];
  const problems = ["input_tokens", "output_tokens", "total_tokens"]
    .filter((k) => !isInteger(usage[k]))
    .map((k) => `usage.${k} is ${usage[k] === undefined ? "missing" : show(usage[k])}`);
  const details = (key: string, field: string) => {
    const value = isRecord(usage[key]) ? (usage[key] as Json)[field] : undefined;
    if (!isInteger(value)) problems.push(`usage.${key}.${field} is missing`);
  };
  details("input_tokens_details", "cached_tokens");
  details("output_tokens_details", "reasoning_tokens");
  if (
    isInteger(usage.input_tokens) && isInteger(usage.output_tokens) &&
    isInteger(usage.total_tokens) &&
    (usage.input_tokens as number) + (usage.output_tokens as number) !== usage.total_tokens
  ) {
    problems.push(
      `usage.total_tokens ${usage.total_tokens} is not input_tokens + output_tokens (${usage.input_tokens} + ${usage.output_tokens})`,
    );
  }
  return problems;
}

function declaredTools(request: unknown): { custom: Set<string>; functions: Set<string> } {
  const tools = isRecord(request) && Array.isArray(request.tools)
    ? request.tools.filter(isRecord)
    : [];
  const named = (type: string) =>
    new Set(tools.filter((t) => t.type === type).map((t) => String(t.name)));
  return { custom: named("custom"), functions: named("function") };
}

/** Checks shared by a streamed response and a non-streaming one: the items of the final output. */
function gradeItems(
  items: Json[],
  request: unknown,
  evidenceOf: (item: Json) => Evidence,
  checks: Finding[],
): void {
  const { custom, functions } = declaredTools(request);
  const calls = items.filter((i) => i.type === "function_call" || i.type === "custom_tool_call");
  if (calls.length) {
    const f = new Finding("call-ids");
    const seen = new Set<string>();
    for (const call of calls) {
      if (typeof call.call_id !== "string" || !call.call_id) {
        f.add(`${call.type} ${call.name} has no call_id`, evidenceOf(call));
      } else if (seen.has(call.call_id)) {
        f.add(`call_id ${call.call_id} is used twice`, evidenceOf(call));
      } else seen.add(call.call_id);
    }
    checks.push(f);
  }
  const functionCalls = items.filter((i) => i.type === "function_call");
  if (functionCalls.length) {
    const f = new Finding("arguments-json");
    for (const call of functionCalls) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(String(call.arguments));
      } catch {
        f.add(`${call.name}: arguments are not JSON: ${show(call.arguments)}`, evidenceOf(call));
        continue;
      }
      if (!isRecord(parsed)) {
        f.add(`${call.name}: arguments are not a JSON object`, evidenceOf(call));
      }
    }
    checks.push(f);
  }
  if (custom.size) {
    const f = new Finding("custom-tools");
    for (const call of calls) {
      const name = String(call.name);
      if (call.type === "function_call" && custom.has(name)) {
        f.add(`${name} came as a function_call, not a custom_tool_call`, evidenceOf(call));
      } else if (call.type === "custom_tool_call" && functions.has(name)) {
        f.add(`${name} is a function tool but came as a custom_tool_call`, evidenceOf(call));
      } else if (call.type === "custom_tool_call" && typeof call.input !== "string") {
        f.add(`custom_tool_call ${name} has no string input`, evidenceOf(call));
      }
    }
    checks.push(f);
  }
  const reasoning = items.filter((i) => i.type === "reasoning");
  if (reasoning.length) {
    const f = new Finding("reasoning");
    for (const r of reasoning) {
      if (typeof r.id !== "string" || !r.id) f.add("reasoning item without id", evidenceOf(r));
      const summary = r.summary;
      if (
        !Array.isArray(summary) ||
        !summary.every((s) =>
          isRecord(s) && s.type === "summary_text" && typeof s.text === "string"
        )
      ) f.add("reasoning summary is not a list of summary_text parts", evidenceOf(r));
    }
    checks.push(f);
  }
}

/**
 * The final status, and the usage of a completed response (a failed one's usage says nothing).
 * Returns whether the response completed.
 */
function gradeFinal(response: Json, evidence: Evidence, checks: Finding[], type?: string): boolean {
  const status = new Finding("final-status");
  checks.push(status);
  if (type && type !== "response.completed") {
    const error = isRecord(response.error) ? `: ${show(response.error.message)}` : "";
    status.add(`the response ended with ${type}${error}`, evidence);
    return false;
  }
  if (response.status !== "completed") {
    status.add(`final status is ${show(response.status)}, expected "completed"`, evidence);
  }
  const usage = new Finding("usage");
  for (const problem of usageProblems(response.usage)) usage.add(problem, evidence);
  checks.push(usage);
  return true;
}

function gradeErrorBody(observation: Observation, checks: Finding[], expectClientError: boolean) {
  const f = new Finding("error-body");
  const body = observation.body;
  const evidence = { value: body ?? observation.errorText ?? "" };
  if (expectClientError) {
    if (observation.status === 0) f.add(`no answer: ${observation.errorText ?? ""}`);
    else if (observation.status === 200) f.add("an invalid request was accepted with HTTP 200");
    else if (observation.status >= 500) {
      f.add(`an invalid request got HTTP ${observation.status}, expected a 4xx`, evidence);
    }
  }
  if (observation.status !== 200 && observation.status !== 0) {
    if (!/json/i.test(observation.contentType)) {
      f.add(`the error's content-type is ${observation.contentType || "(none)"}`, evidence);
    }
    const error = isRecord(body) ? body.error : undefined;
    if (!isRecord(error) || typeof error.message !== "string" || !error.message) {
      f.add("the error body is not JSON with error.message", evidence);
    }
  }
  checks.push(f);
}

function httpStatus(observation: Observation): Finding {
  const f = new Finding("http-status");
  if (observation.status === 200) return f;
  const text = observation.errorText ??
    (typeof observation.body === "string" ? observation.body : show(observation.body ?? ""));
  const excerpt = text.slice(0, 300);
  f.add(
    observation.status === 0
      ? `no answer: ${excerpt}`
      : `HTTP ${observation.status}${excerpt ? `: ${excerpt}` : ""}`,
  );
  return f;
}

/** Grades one exchange; checks the exchange gives no occasion for are left out. */
export function gradeExchange(
  request: unknown,
  expect: Expectation,
  observation: Observation,
): Check[] {
  const checks: Finding[] = [];
  if (expect === "error") {
    gradeErrorBody(observation, checks, true);
    return checks.map((f) => f.check);
  }
  checks.push(httpStatus(observation));
  if (observation.status !== 200) {
    if (observation.status !== 0) gradeErrorBody(observation, checks, false);
    if (declaredTools(request).custom.size) {
      const f = new Finding("custom-tools");
      f.add("the request declaring custom tools was refused");
      checks.push(f);
    }
    return checks.map((f) => f.check);
  }
  if (expect === "stream") gradeStreamed(request, observation, checks);
  else if (expect === "json") gradeNonStreaming(request, observation, checks);
  else gradeCompaction(observation, checks);
  return checks.map((f) => f.check);
}

function gradeCompaction(observation: Observation, checks: Finding[]): void {
  const f = new Finding("compaction");
  const body = observation.body;
  const evidence = { value: body ?? "" };
  if (!/json/i.test(observation.contentType)) {
    f.add(`content-type is ${observation.contentType || "(none)"}`, evidence);
  }
  if (!isRecord(body)) f.add("the answer is not a JSON object", evidence);
  else {
    if (typeof body.id !== "string" || !body.id) f.add("id is missing", evidence);
    if (body.object !== "response.compaction") {
      f.add(`object is ${show(body.object)}, expected "response.compaction"`, evidence);
    }
    if (!Array.isArray(body.output) || !body.output.length) {
      f.add("output is not a non-empty list", evidence);
    }
    if (!isInteger(body.created_at)) f.add("created_at is not an integer", evidence);
    const usage = usageProblems(body.usage).filter((p) => !/_details/.test(p));
    for (const problem of usage) f.add(problem, evidence);
  }
  checks.push(f);
}

function gradeNonStreaming(request: unknown, observation: Observation, checks: Finding[]): void {
  const f = new Finding("non-streaming");
  const body = observation.body;
  const evidence = { value: body ?? observation.events.slice(0, 3) };
  if (/^text\/event-stream/i.test(observation.contentType) || observation.events.length) {
    f.add("stream: false was answered with an event stream", evidence);
  } else if (!/json/i.test(observation.contentType)) {
    f.add(`content-type is ${observation.contentType || "(none)"}`, evidence);
  }
  const response = isRecord(body) && body.object === "response" ? body : undefined;
  if (!response && !observation.events.length) {
    f.add("the answer is not a JSON response object", evidence);
  }
  checks.push(f);
  if (!response) return;
  const fields = new Finding("response-fields");
  for (const problem of fieldProblems(response)) fields.add(problem, evidence);
  checks.push(fields);
  const output = Array.isArray(response.output) ? response.output.filter(isRecord) : [];
  if (gradeFinal(response, evidence, checks)) {
    const final = new Finding("final-output");
    if (!output.length) final.add("the final output is empty", evidence);
    checks.push(final);
  }
  gradeItems(output, request, (item) => ({ value: item }), checks);
}

/** The key of a streamed text: its item, kind and part. */
function textKey(event: Json, kind: string): string {
  const part = event.summary_index ?? event.content_index ?? 0;
  return `${event.item_id}\u0000${kind}\u0000${part}`;
}

// Delta/done event pairs and the field of the .done event that holds the whole text.
const STREAMED_TEXTS: Record<string, { kind: string; field: string; done: boolean }> = {
  "response.output_text.delta": { kind: "text", field: "text", done: false },
  "response.output_text.done": { kind: "text", field: "text", done: true },
  "response.refusal.delta": { kind: "refusal", field: "refusal", done: false },
  "response.refusal.done": { kind: "refusal", field: "refusal", done: true },
  "response.reasoning_summary_text.delta": { kind: "summary", field: "text", done: false },
  "response.reasoning_summary_text.done": { kind: "summary", field: "text", done: true },
  "response.reasoning_text.delta": { kind: "reasoning", field: "text", done: false },
  "response.reasoning_text.done": { kind: "reasoning", field: "text", done: true },
  "response.function_call_arguments.delta": { kind: "arguments", field: "arguments", done: false },
  "response.function_call_arguments.done": { kind: "arguments", field: "arguments", done: true },
  "response.custom_tool_call_input.delta": { kind: "input", field: "input", done: false },
  "response.custom_tool_call_input.done": { kind: "input", field: "input", done: true },
};

/** The text an item closed by output_item.done holds for a streamed kind and part. */
function itemText(item: Json, kind: string, part: number): unknown {
  const list = (key: string) => Array.isArray(item[key]) ? item[key] as unknown[] : [];
  const entry = (key: string) => {
    const value = list(key)[part];
    return isRecord(value) ? value : undefined;
  };
  switch (kind) {
    case "text":
      return entry("content")?.text;
    case "refusal":
      return entry("content")?.refusal;
    case "summary":
      return entry("summary")?.text;
    case "reasoning":
      return entry("content")?.text;
    case "arguments":
      return item.arguments;
    default:
      return item.input;
  }
}

function gradeStreamed(request: unknown, observation: Observation, checks: Finding[]): void {
  const contentType = new Finding("event-stream");
  if (!/^text\/event-stream/i.test(observation.contentType)) {
    contentType.add(`content-type is ${observation.contentType || "(none)"}`, {
      value: observation.body ?? "",
    });
  }
  checks.push(contentType);

  const json = new Finding("events-json");
  const events: Event[] = [];
  observation.events.forEach((data, index) => {
    if (isRecord(data) && typeof data.type === "string") {
      events.push({ index, data, type: data.type });
    } else json.add("an event is not a JSON object with a type", { index, value: data });
  });
  checks.push(json);

  const order = new Finding("event-order");
  const terminal = new Finding("terminal-event");
  const sequence = new Finding("sequence-numbers");
  const ids = new Finding("item-ids");
  const texts = new Finding("done-text");
  checks.push(order, terminal, sequence, ids, texts);

  if (!events.length) {
    order.add(`no events${observation.errorText ? ` (${observation.errorText})` : ""}`);
  } else if (events[0].type !== "response.created") {
    order.add(`the first event is ${events[0].type}, not response.created`, at(events[0]));
  }

  const terminals = events.filter((e) => TERMINAL.has(e.type));
  if (!terminals.length) {
    terminal.add(
      `no terminal event${observation.errorText ? ` (${observation.errorText})` : ""}`,
      ...events.slice(-1).map(at),
    );
  } else if (terminals.length > 1) {
    terminal.add(`${terminals.length} terminal events`, ...terminals.map(at));
  } else if (terminals[0] !== events.at(-1)) {
    terminal.add(
      `events after ${terminals[0].type}`,
      ...events.slice(events.indexOf(terminals[0])).map(at),
    );
  }

  let previous: number | undefined;
  for (const event of events) {
    const n = event.data.sequence_number;
    if (!isInteger(n)) {
      sequence.add(`${event.type} has no integer sequence_number`, at(event));
      continue;
    }
    if (previous !== undefined && (n as number) <= previous) {
      sequence.add(`sequence_number ${n} follows ${previous}`, at(event));
    }
    previous = n as number;
  }

  // Items by output_index as announced, and as closed.
  const added = new Map<number, { id: unknown; event: Event }>();
  const closed = new Map<number, { item: Json; event: Event }>();
  const partsOpen = new Set<string>();
  const partsClosed = new Set<string>();
  const streamed = new Map<string, { deltas: string[]; done?: Event; first: Event }>();
  const responseIds = new Map<unknown, Event>();
  for (const event of events) {
    const e = event.data;
    if (isRecord(e.response) && (event.type === "response.created" || TERMINAL.has(event.type))) {
      if (!responseIds.has(e.response.id)) responseIds.set(e.response.id, event);
    }
    if (event.type === "response.output_item.added") {
      const item = isRecord(e.item) ? e.item : {};
      const index = e.output_index as number;
      if (index !== added.size) {
        order.add(
          `output_item.added has output_index ${show(index)}, expected ${added.size}`,
          at(event),
        );
      }
      if (added.has(index)) order.add(`output_index ${index} is announced twice`, at(event));
      if (typeof item.id !== "string" || !item.id) {
        ids.add(`output_item.added at ${index} has no item id`, at(event));
      }
      added.set(index, { id: item.id, event });
      continue;
    }
    if (!("output_index" in e)) continue;
    const index = e.output_index as number;
    // An event out of place is reported once, here, and otherwise taken as it comes, so that its
    // text still counts and one misplaced event is not reported by every later check as well.
    const announced = added.get(index);
    if (!announced) {
      order.add(
        `${event.type} for output_index ${show(index)} before its output_item.added`,
        at(event),
      );
    } else if (closed.has(index)) {
      order.add(`${event.type} after output_item.done of output_index ${index}`, at(event));
    }
    if (event.type === "response.output_item.done") {
      const item = isRecord(e.item) ? e.item : {};
      if (announced && item.id !== announced.id) {
        ids.add(
          `output_item.done at ${index} has id ${show(item.id)}, added as ${show(announced.id)}`,
          at(announced.event),
          at(event),
        );
      }
      if (!closed.has(index)) closed.set(index, { item, event });
      continue;
    }
    if (announced && "item_id" in e && e.item_id !== announced.id) {
      ids.add(
        `${event.type} names item ${show(e.item_id)}, but output_index ${index} is ${
          show(announced.id)
        }`,
        at(announced.event),
        at(event),
      );
    }
    const partKey = "summary_index" in e
      ? `${index}\u0000summary\u0000${e.summary_index}`
      : `${index}\u0000content\u0000${e.content_index}`;
    if (/\.(content_part|reasoning_summary_part)\.added$/.test(event.type)) partsOpen.add(partKey);
    else if (/\.(content_part|reasoning_summary_part)\.done$/.test(event.type)) {
      if (!partsOpen.has(partKey)) {
        order.add(`${event.type} without its part's .added`, at(event));
      }
      partsClosed.add(partKey);
    }
    const text = STREAMED_TEXTS[event.type];
    if (text) {
      const key = textKey({ ...e, item_id: index }, text.kind);
      const entry = streamed.get(key) ?? { deltas: [], first: event };
      streamed.set(key, entry);
      if (text.done) {
        if (entry.done) order.add(`a second ${event.type} for the same part`, at(event));
        entry.done ??= event;
      } else {
        if (entry.done) order.add(`${event.type} after its .done`, at(event));
        if (partsClosed.has(partKey)) order.add(`${event.type} after its part's .done`, at(event));
        // Message text lands in a content part the client created on content_part.added (the
        // openai SDK's stream helper fails without it).
        if ((text.kind === "text" || text.kind === "refusal") && !partsOpen.has(partKey)) {
          order.add(`${event.type} before its content_part.added`, at(event));
        }
        entry.deltas.push(String(e.delta ?? ""));
      }
    }
  }
  for (const [index, { event }] of added) {
    if (!closed.has(index)) {
      order.add(`output_index ${index} is never closed by output_item.done`, at(event));
    }
  }
  if (responseIds.size > 1) {
    ids.add(
      `the response id changes: ${[...responseIds.keys()].map(show).join(" → ")}`,
      ...[...responseIds.values()].map(at),
    );
  }

  // Done texts against their deltas and against the closed item.
  for (const [key, entry] of streamed) {
    const [indexText, kind, partText] = key.split("\u0000");
    const index = Number(indexText);
    if (!entry.done) {
      texts.add(`${kind} deltas at output_index ${index} have no .done event`, at(entry.first));
      continue;
    }
    const field = STREAMED_TEXTS[entry.done.type].field;
    const whole = entry.done.data[field];
    if (entry.deltas.length && entry.deltas.join("") !== whole) {
      texts.add(
        `${entry.done.type} at output_index ${index} differs from its ${entry.deltas.length} deltas: ${
          show(whole).slice(0, 80)
        } vs ${show(entry.deltas.join("")).slice(0, 80)}`,
        at(entry.done),
      );
    }
    const item = closed.get(index);
    if (item && itemText(item.item, kind, Number(partText)) !== whole) {
      texts.add(
        `${entry.done.type} at output_index ${index} differs from the closed item's ${kind}`,
        at(entry.done),
        at(item.event),
      );
    }
  }
  for (const [index, { item, event }] of closed) {
    if (
      item.type === "function_call" && !streamed.get(textKey({ item_id: index }, "arguments"))?.done
    ) {
      texts.add(`function call ${item.name} has no function_call_arguments.done`, at(event));
    }
  }

  const doneItems = [...closed.entries()].sort((a, b) => a[0] - b[0]);
  const last = terminals.at(-1);
  const response = last && isRecord(last.data.response) ? last.data.response : undefined;

  const fields = new Finding("response-fields");
  for (const event of events) {
    if (
      event.type !== "response.created" && event.type !== "response.in_progress" &&
      !TERMINAL.has(event.type)
    ) {
      continue;
    }
    for (const problem of fieldProblems(event.data.response)) {
      fields.add(`${event.type}: ${problem}`, at(event));
    }
  }
  if (events.length) checks.push(fields);

  if (last && response && gradeFinal(response, at(last), checks, last.type)) {
    const output = Array.isArray(response.output) ? response.output : [];
    const final = new Finding("final-output");
    const withoutId = (item: unknown) => isRecord(item) ? { ...item, id: undefined } : item;
    if (!output.length) final.add("the final output is empty", at(last));
    else if (output.length !== doneItems.length) {
      final.add(
        `the final output has ${output.length} item(s), output_item.done closed ${doneItems.length}`,
        at(last),
      );
    } else {
      output.forEach((item, i) => {
        if (show(withoutId(item)) !== show(withoutId(doneItems[i][1].item))) {
          final.add(
            `final output[${i}] differs from the item output_item.done closed`,
            at(doneItems[i][1].event),
            at(last),
          );
        } else if (isRecord(item) && item.id !== doneItems[i][1].item.id) {
          ids.add(
            `final output[${i}] has id ${show(item.id)}, closed as ${
              show(doneItems[i][1].item.id)
            }`,
            at(doneItems[i][1].event),
            at(last),
          );
        }
      });
    }
    checks.push(final);
  }
  const evidenceOf = (item: Json) => {
    const found = doneItems.find(([, d]) => d.item === item);
    return found ? at(found[1].event) : { value: item };
  };
  gradeItems(doneItems.map(([, d]) => d.item), request, evidenceOf, checks);
}
