// Every input shape the Responses API accepts, brought to the one form the rest of serve reads:
// `input` as a string or a list; messages with string or part-list content and with or without
// `type`; item references looked up in the store. Anything malformed or that serve cannot pass
// on is a 400 naming the field and why, before a byte goes to the backend.
import { z } from "zod";
import {
  isKnownItem,
  KnownItem,
  type ResponseItem,
  ResponsesRequest,
  ToolChoice,
  ToolSpec,
} from "../protocol/mod.ts";
import { COMPACTION_PREFIX, fileMediaType } from "./conversation.ts";
import { RequestError } from "./errors.ts";

type Json = Record<string, unknown>;

/**
 * A create-response body as clients send it: `input` is checked item by item by
 * `normalizeInput`, so its errors can name the item; optional settings may be null.
 */
export const CreateRequest = ResponsesRequest.extend({
  input: z.unknown().optional(),
  tools: z.array(ToolSpec).nullish(),
  tool_choice: ToolChoice.nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  store: z.boolean().nullish(),
  stream: z.boolean().nullish(),
  temperature: z.number().nullish(),
  top_p: z.number().nullish(),
});
export type CreateRequest = z.infer<typeof CreateRequest>;

/** Request fields serve cannot honour, and why; ignoring them would lose what they ask for. */
const UNSUPPORTED: ReadonlyArray<[string, (value: unknown) => boolean, string]> = [
  ["background", (v) => v === true, "background responses are not supported; leave it out"],
  [
    "conversation",
    (v) => v !== undefined && v !== null,
    "there is no Conversations API here; send the history in `input` or use previous_response_id",
  ],
  ["prompt", (v) => v !== undefined && v !== null, "stored prompt templates are not supported"],
];

/** A 400 for the first field of `body` that serve cannot honour. */
export function refuseUnsupported(body: Record<string, unknown>): void {
  for (const [field, present, why] of UNSUPPORTED) {
    if (present(body[field])) throw invalid(field, why, "unsupported_parameter");
  }
}

/** What the backend behind serve can take, asked while the input is checked. */
export interface InputRules {
  /** Finds a stored item by its id, for `item_reference`. */
  lookup(id: string): Promise<ResponseItem | undefined>;
  /** Why the backend cannot take this file, or undefined when it can. */
  fileRefusal(file: { mediaType: string; url?: string }): string | undefined;
}

const ROLES = new Set(["user", "assistant", "system", "developer"]);
const DETAILS = new Set(["low", "high", "auto", "original"]);
function invalid(where: string, why: string, code = "invalid_value"): RequestError {
  return new RequestError(400, `${where}: ${why}`, code, where);
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

function text(part: Json, field: string, where: string): string {
  const value = part[field];
  if (typeof value !== "string") {
    throw invalid(`${where}.${field}`, `expected a string, got ${describe(value)}`);
  }
  return value;
}

function imagePart(part: Json, where: string): Json {
  const url = part.image_url;
  if (typeof url !== "string" || !url) {
    throw invalid(
      `${where}.image_url`,
      part.file_id
        ? "images by file_id are not supported: this proxy has no file store; send image_url " +
          "as an http(s) or data: URL"
        : "an input_image needs image_url, an http(s) or data: URL",
      "unsupported_value",
    );
  }
  if (!/^(https?:|data:image\/)/i.test(url)) {
    throw invalid(`${where}.image_url`, "expected an http(s) URL or a data:image/… URL");
  }
  const detail = part.detail ?? undefined;
  if (detail !== undefined && (typeof detail !== "string" || !DETAILS.has(detail))) {
    throw invalid(`${where}.detail`, "expected one of low, high, auto");
  }
  return { type: "input_image", image_url: url, detail: detail ?? "auto" };
}

function filePart(part: Json, where: string, rules: InputRules): Json {
  const { file_data: data, file_url: url, filename } = part;
  if (typeof data !== "string" && typeof url !== "string") {
    throw invalid(
      where,
      part.file_id
        ? "files by file_id are not supported: this proxy has no file store; send file_data " +
          "(a data: URL) or file_url"
        : "an input_file needs file_data (a data: URL) or file_url",
      "unsupported_value",
    );
  }
  if (filename !== undefined && filename !== null && typeof filename !== "string") {
    throw invalid(`${where}.filename`, `expected a string, got ${describe(filename)}`);
  }
  const mediaType = fileMediaType(part);
  if (typeof data === "string" && !mediaType) {
    throw invalid(
      `${where}.file_data`,
      "cannot tell what kind of file this is: send a data: URL (data:application/pdf;base64,…) " +
        "or a filename ending in .pdf, .txt, .md, .csv or .json",
    );
  }
  const refusal = rules.fileRefusal({
    mediaType: mediaType ?? "application/octet-stream",
    ...(typeof data === "string" ? {} : { url: String(url) }),
  });
  if (refusal) throw invalid(where, refusal, "unsupported_value");
  return {
    type: "input_file",
    ...(typeof data === "string" ? { file_data: data } : { file_url: url }),
    ...(typeof filename === "string" ? { filename } : {}),
  };
}

/** One content part of a message or a tool output, in canonical form. */
function contentPart(raw: unknown, where: string, rules: InputRules | undefined): Json {
  if (!isObject(raw)) throw invalid(where, `expected a content part object, got ${describe(raw)}`);
  switch (raw.type) {
    case "input_text":
    case "text":
      return { type: "input_text", text: text(raw, "text", where) };
    case "output_text":
      return {
        type: "output_text",
        text: text(raw, "text", where),
        annotations: Array.isArray(raw.annotations) ? raw.annotations : [],
        ...(Array.isArray(raw.logprobs) ? { logprobs: raw.logprobs } : {}),
      };
    case "refusal":
      return { type: "refusal", refusal: text(raw, "refusal", where) };
    case "input_image":
    case "input_file":
      if (!rules) {
        throw invalid(
          where,
          `${raw.type} is only accepted in user messages and tool outputs`,
          "unsupported_value",
        );
      }
      return raw.type === "input_image" ? imagePart(raw, where) : filePart(raw, where, rules);
    default:
      throw invalid(
        `${where}.type`,
        typeof raw.type === "string"
          ? `content part type "${raw.type}" is not supported by this proxy (it takes ` +
            "input_text, output_text, refusal, input_image and input_file)"
          : "a content part needs a type",
        "unsupported_value",
      );
  }
}

function contentParts(content: unknown, where: string, role: string, rules: InputRules): Json[] {
  if (typeof content === "string") {
    return [
      role === "assistant"
        ? { type: "output_text", text: content, annotations: [] }
        : { type: "input_text", text: content },
    ];
  }
  if (!Array.isArray(content)) {
    throw invalid(where, `expected a string or a list of content parts, got ${describe(content)}`);
  }
  const media = role === "user" ? rules : undefined;
  return content.map((part, j) => contentPart(part, `${where}[${j}]`, media));
}

function message(raw: Json, where: string, rules: InputRules): Json {
  const role = raw.role ?? "user";
  if (typeof role !== "string" || !ROLES.has(role)) {
    throw invalid(`${where}.role`, "expected one of user, assistant, system, developer");
  }
  return {
    ...raw,
    type: "message",
    role,
    content: contentParts(raw.content, `${where}.content`, role, rules),
  };
}

function functionCallOutput(raw: Json, where: string, rules: InputRules): Json {
  const output = raw.output;
  if (typeof output === "string") return raw;
  if (!Array.isArray(output)) {
    throw invalid(
      `${where}.output`,
      `expected a string or a list of content parts, got ${describe(output)}`,
    );
  }
  return {
    ...raw,
    output: output.map((part, j) => contentPart(part, `${where}.output[${j}]`, rules)),
  };
}

/** The canonical form of one input item; item references are looked up with `lookup`. */
async function inputItem(raw: unknown, where: string, rules: InputRules): Promise<ResponseItem> {
  if (!isObject(raw)) throw invalid(where, `expected an item object, got ${describe(raw)}`);
  // EasyInputMessage: a message needs no `type`; a bare `{id}` is an item reference.
  const type = raw.type ??
    (raw.role !== undefined ? "message" : "id" in raw ? "item_reference" : undefined);
  let item: Json;
  switch (type) {
    case undefined:
      throw invalid(where, "an item needs a type (or a role, for a message)");
    case "message":
      item = message(raw, where, rules);
      break;
    case "item_reference": {
      const id = raw.id;
      if (typeof id !== "string" || !id) throw invalid(`${where}.id`, "expected an item id");
      const found = await rules.lookup(id);
      if (!found) {
        throw invalid(
          `${where}.id`,
          `item_reference "${id}" names no item this proxy has stored (it can only refer to ` +
            "items of responses it made and still keeps)",
          "item_not_found",
        );
      }
      return found;
    }
    case "function_call_output":
      item = functionCallOutput(raw, where, rules);
      break;
    case "reasoning":
      item = { ...raw, summary: raw.summary ?? [] };
      break;
    case "compaction":
      if (typeof raw.encrypted_content !== "string") {
        throw invalid(
          `${where}.encrypted_content`,
          "a compaction item needs its encrypted_content",
        );
      }
      if (!raw.encrypted_content.startsWith(COMPACTION_PREFIX)) {
        throw invalid(
          `${where}.encrypted_content`,
          "this compaction item was made by another server and cannot be read here; send the " +
            "conversation itself, or compact it again with this proxy's /v1/responses/compact",
          "unsupported_value",
        );
      }
      return raw as ResponseItem;
    default:
      item = raw;
  }
  // Known types are checked field by field (so the error names the field); others pass.
  if (!isKnownItem(item as ResponseItem)) return item as ResponseItem;
  const parsed = KnownItem.safeParse(item);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.length > 0 ? `${where}.${issue.path.join(".")}` : where;
    throw invalid(field, `${issue.message} (in a ${String(type)} item)`);
  }
  return parsed.data as ResponseItem;
}

/** A request's `input` (a string, a list of items, or nothing) as canonical items. */
export async function normalizeInput(input: unknown, rules: InputRules): Promise<ResponseItem[]> {
  if (input === undefined || input === null) return [];
  if (typeof input === "string") {
    return [{ type: "message", role: "user", content: [{ type: "input_text", text: input }] }];
  }
  if (!Array.isArray(input)) {
    throw invalid("input", `expected a string or a list of items, got ${describe(input)}`);
  }
  const items: ResponseItem[] = [];
  for (let i = 0; i < input.length; i++) {
    items.push(await inputItem(input[i], `input[${i}]`, rules));
  }
  return items;
}

/**
 * Refuses a tool result of the request's own `input` whose call is neither in that input nor in
 * the `history` it continues, as OpenAI does: the backend could not be told what it answers.
 * (A call without a result is repaired instead: it gets a placeholder result.)
 */
export function refuseOrphanOutputs(
  input: readonly ResponseItem[],
  history: readonly ResponseItem[],
) {
  const calls = new Set<string>();
  for (const item of [...history, ...input] as Json[]) {
    if (String(item.type).endsWith("_call") && typeof item.call_id === "string") {
      calls.add(item.call_id);
    }
  }
  input.forEach((raw, i) => {
    const item = raw as Json;
    if (!String(item.type).endsWith("_call_output") || calls.has(String(item.call_id))) return;
    throw invalid(
      `input[${i}]`,
      `no tool call found for the ${item.type} with call_id "${item.call_id}": neither this ` +
        "request's input nor the response it continues (previous_response_id) holds that call; " +
        "send the call before its output, or leave the output out",
    );
  });
}
