// Grading one Responses stream for what the Codex agent loop relies on: a terminal event, ids that
// agree across added/done/completed, finished function-call arguments that parse, call ids, custom
// tools answered as custom tool calls, usage, and well-formed reasoning items.

/** What came back for one replayed request. */
export interface Observation {
  status: number;
  contentType: string;
  /** From sending the request to the first body byte; `null` when no byte came. */
  ttfbMs: number | null;
  totalMs: number;
  /** The data of each SSE message, parsed when it is JSON. */
  events: unknown[];
  /** The body of a non-200 answer, or why the exchange broke off. */
  errorText?: string;
}

export interface Check {
  name: string;
  ok: boolean;
  detail?: string;
}

type Json = Record<string, unknown>;

const TERMINAL = new Set(["response.completed", "response.failed", "response.incomplete"]);

function isRecord(value: unknown): value is Json {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function item(event: Json): Json {
  return isRecord(event.item) ? event.item : {};
}

function customToolNames(request: Json): Set<string> {
  const tools = Array.isArray(request.tools) ? request.tools.filter(isRecord) : [];
  return new Set(tools.filter((t) => t.type === "custom").map((t) => String(t.name)));
}

function check(name: string, problems: string[]): Check {
  return problems.length ? { name, ok: false, detail: problems.join("; ") } : { name, ok: true };
}

/** Grades one exchange; checks that the stream gives no occasion for are left out. */
export function gradeStream(request: Json, observation: Observation): Check[] {
  const custom = customToolNames(request);
  const checks: Check[] = [];
  const excerpt = (observation.errorText ?? "").slice(0, 200);
  const statusProblem = observation.status === 0
    ? `no answer: ${excerpt}`
    : `HTTP ${observation.status}${excerpt ? `: ${excerpt}` : ""}`;
  checks.push(check("http-status", observation.status === 200 ? [] : [statusProblem]));

  if (observation.status !== 200) {
    if (custom.size) {
      checks.push(check("custom-tools", [`request declaring custom tools was refused`]));
    }
    return checks;
  }
  checks.push(check(
    "event-stream",
    /^text\/event-stream/i.test(observation.contentType)
      ? []
      : [`content-type is ${observation.contentType || "(none)"}`],
  ));

  const events = observation.events.filter(isRecord);
  const notJson = observation.events.length -
    events.filter((e) => typeof e.type === "string").length;
  checks.push(check("events-json", notJson ? [`${notJson} event(s) without a JSON type`] : []));
  const types = events.map((e) => String(e.type));
  checks.push(check(
    "created-first",
    types[0] === "response.created" ? [] : [`first event is ${types[0] ?? "(none)"}`],
  ));
  const terminals = types.filter((t) => TERMINAL.has(t));
  const terminalProblems: string[] = [];
  if (!terminals.length) {
    terminalProblems.push(
      `no terminal event${observation.errorText ? ` (${observation.errorText})` : ""}`,
    );
  } else if (terminals.length > 1) terminalProblems.push(`${terminals.length} terminal events`);
  else if (!TERMINAL.has(types.at(-1)!)) terminalProblems.push(`events after ${terminals[0]}`);
  checks.push(check("terminal-event", terminalProblems));

  const added = new Map<string, number>();
  const done: Json[] = [];
  const idProblems: string[] = [];
  const argsDone = new Map<string, string>();
  for (const event of events) {
    const t = event.type;
    if (t === "response.output_item.added" && typeof item(event).id === "string") {
      added.set(item(event).id as string, Number(event.output_index));
    } else if (t === "response.output_item.done") {
      const it = item(event);
      done.push(it);
      if (typeof it.id === "string" && it.id) {
        const at = added.get(it.id);
        if (at === undefined) idProblems.push(`done item ${it.id} was never added`);
        else if (at !== Number(event.output_index)) {
          idProblems.push(`item ${it.id} added at ${at}, done at ${event.output_index}`);
        }
      }
    } else if (t === "response.function_call_arguments.done") {
      argsDone.set(String(event.item_id), String(event.arguments));
    }
    if (typeof event.item_id === "string" && !added.has(event.item_id)) {
      idProblems.push(`${t} for item ${event.item_id} that was never added`);
    }
  }
  checks.push(check("item-ids", [...new Set(idProblems)]));

  const terminal = events.find((e) => TERMINAL.has(String(e.type)));
  const response = terminal && isRecord(terminal.response) ? terminal.response : undefined;
  const output = Array.isArray(response?.output) ? response.output.filter(isRecord) : [];
  if (terminal?.type === "response.completed" && output.length) {
    const want = done.map((i) => i.id ?? null);
    const got = output.map((i) => i.id ?? null);
    checks.push(check(
      "completed-ids",
      JSON.stringify(want) === JSON.stringify(got)
        ? []
        : [`done items ${JSON.stringify(want)} but completed lists ${JSON.stringify(got)}`],
    ));
  }

  const calls = done.filter((i) => i.type === "function_call" || i.type === "custom_tool_call");
  if (calls.length) {
    checks.push(check(
      "call-ids",
      calls.filter((c) => typeof c.call_id !== "string" || !c.call_id).map((c) =>
        `${c.type} ${c.name} has no call_id`
      ),
    ));
  }
  const functions = done.filter((i) => i.type === "function_call");
  if (functions.length) {
    checks.push(check(
      "arguments-done",
      functions.flatMap((f) => {
        const finished = argsDone.get(String(f.id));
        if (finished === undefined) return [`no function_call_arguments.done for ${f.name}`];
        return finished === f.arguments ? [] : [`arguments.done differs from the item (${f.name})`];
      }),
    ));
    checks.push(check(
      "arguments-json",
      functions.flatMap((f) => {
        try {
          return isRecord(JSON.parse(String(f.arguments))) ? [] : [`${f.name}: not a JSON object`];
        } catch {
          return [`${f.name}: arguments are not JSON`];
        }
      }),
    ));
  }
  if (custom.size) {
    checks.push(check(
      "custom-tools",
      functions.filter((f) => custom.has(String(f.name))).map((f) =>
        `${f.name} came as a function_call, not a custom_tool_call`
      ),
    ));
  }

  if (terminal?.type === "response.completed") {
    const usage = isRecord(response?.usage) ? response.usage : undefined;
    const missing = ["input_tokens", "output_tokens", "total_tokens"].filter((k) =>
      typeof usage?.[k] !== "number"
    );
    checks.push(check("usage", missing.length ? [`usage lacks ${missing.join(", ")}`] : []));
  }

  const reasoning = done.filter((i) => i.type === "reasoning");
  if (reasoning.length) {
    checks.push(check(
      "reasoning",
      reasoning.flatMap((r) => {
        const problems: string[] = [];
        if (typeof r.id !== "string" || !r.id) problems.push("reasoning item without id");
        const summary = r.summary;
        if (
          !Array.isArray(summary) ||
          !summary.every((s) =>
            isRecord(s) && s.type === "summary_text" && typeof s.text === "string"
          )
        ) problems.push("reasoning summary is not a list of summary_text parts");
        return problems;
      }),
    ));
  }
  return checks;
}
