// Responses API streaming events. Known event types are validated (a malformed one is a typed
// error); unknown ones pass through with their fields so newer servers keep working.
import { z } from "zod";
import { ResponseItem, Usage } from "./responses.ts";

const Base = { sequence_number: z.number().optional() };
const ResponseObject = z.looseObject({
  id: z.string().optional(),
  status: z.string().nullish(),
  usage: Usage.nullish(),
  output: z.array(ResponseItem).nullish(),
  error: z.looseObject({ code: z.string().nullish(), message: z.string().nullish() }).nullish(),
  incomplete_details: z.looseObject({ reason: z.string().nullish() }).nullish(),
});
const Located = {
  ...Base,
  item_id: z.string().optional(),
  output_index: z.number().optional(),
  content_index: z.number().optional(),
};

function event<const T extends string, S extends z.ZodRawShape>(type: T, shape: S) {
  return z.looseObject({ type: z.literal(type), ...Base, ...shape });
}

export const KnownEvent = z.discriminatedUnion("type", [
  event("response.created", { response: ResponseObject }),
  event("response.in_progress", { response: ResponseObject }),
  event("response.output_item.added", { item: ResponseItem, output_index: z.number().optional() }),
  event("response.output_item.done", { item: ResponseItem, output_index: z.number().optional() }),
  event("response.content_part.added", { ...Located, part: z.looseObject({ type: z.string() }) }),
  event("response.content_part.done", { ...Located, part: z.looseObject({ type: z.string() }) }),
  event("response.output_text.delta", { ...Located, delta: z.string() }),
  event("response.output_text.done", { ...Located, text: z.string() }),
  event("response.function_call_arguments.delta", { ...Located, delta: z.string() }),
  event("response.function_call_arguments.done", { ...Located, arguments: z.string() }),
  event("response.custom_tool_call_input.delta", { ...Located, delta: z.string() }),
  event("response.custom_tool_call_input.done", { ...Located, input: z.string() }),
  event("response.reasoning_summary_part.added", {
    ...Located,
    summary_index: z.number().optional(),
  }),
  event("response.reasoning_summary_text.delta", {
    ...Located,
    delta: z.string(),
    summary_index: z.number().optional(),
  }),
  event("response.reasoning_summary_text.done", {
    ...Located,
    text: z.string(),
    summary_index: z.number().optional(),
  }),
  event("response.reasoning_text.delta", { ...Located, delta: z.string() }),
  event("response.reasoning_text.done", { ...Located, text: z.string() }),
  event("response.completed", { response: ResponseObject }),
  event("response.failed", { response: ResponseObject }),
  event("response.incomplete", { response: ResponseObject }),
  event("error", {
    code: z.string().nullish(),
    message: z.string().nullish(),
    param: z.string().nullish(),
  }),
]);
export type KnownEvent = z.infer<typeof KnownEvent>;
export type EventType = KnownEvent["type"];
/** An event this build does not know, kept verbatim. */
export interface UnknownEvent {
  type: string;
  [key: string]: unknown;
}
export type ResponseEvent = KnownEvent | UnknownEvent;

const KNOWN_EVENT_TYPES: ReadonlySet<string> = new Set(
  KnownEvent.options.map((o) => o.shape.type.value),
);

export function isKnownEvent(event: ResponseEvent): event is KnownEvent {
  return KNOWN_EVENT_TYPES.has(event.type);
}

/** A known event whose payload does not match its schema, or data that is not a JSON object. */
export class MalformedEventError extends Error {
  constructor(readonly eventType: string, readonly detail: string, readonly data: string) {
    super(`malformed ${eventType} event: ${detail}`);
    this.name = "MalformedEventError";
  }
}

/** Parses one SSE `data` payload into a typed event. */
export function parseEvent(data: string, sseEventName?: string): ResponseEvent {
  let raw: unknown;
  try {
    raw = JSON.parse(data);
  } catch (err) {
    throw new MalformedEventError(sseEventName ?? "unknown", `invalid JSON (${err})`, data);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new MalformedEventError(sseEventName ?? "unknown", "data is not a JSON object", data);
  }
  const record = raw as Record<string, unknown>;
  const type = typeof record.type === "string" ? record.type : sseEventName;
  if (!type) throw new MalformedEventError("unknown", "event has no type", data);
  if (!KNOWN_EVENT_TYPES.has(type)) return { ...record, type };
  const parsed = KnownEvent.safeParse({ ...record, type });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new MalformedEventError(
      type,
      `${issue.path.join(".") || "(root)"}: ${issue.message}`,
      data,
    );
  }
  return parsed.data;
}
