// What a tool call's result becomes: the output the model reads, framed as upstream Codex frames
// it, and the result the UI shows. Content blocks are rebuilt with their fields in the order
// upstream's MCP library writes them, so the model sees the same JSON text from both programs.
import type { ContentPart, ToolOutput } from "../protocol/mod.ts";

type Json = Record<string, unknown>;

/** A `tools/call` result as servers send it (only the fields Codex reads). */
export interface CallToolResult {
  content: Json[];
  structuredContent?: unknown;
  isError?: boolean;
  _meta?: unknown;
}

function pick(source: Json, keys: readonly string[]): Json {
  const out: Json = {};
  for (const key of keys) if (source[key] !== undefined) out[key] = source[key];
  return out;
}

function annotations(value: unknown): Json | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  return pick(value as Json, ["audience", "priority", "lastModified"]);
}

const RESOURCE_FIELDS = ["uri", "name", "title", "description", "mimeType", "size"];

/** The text or blob of a resource, its fields in upstream's order. */
export function resourceContents(contents: unknown): Json {
  return pick((contents ?? {}) as Json, ["uri", "mimeType", "text", "blob", "_meta"]);
}

/** One content block, its fields in upstream's order; unknown block types pass as sent. */
export function contentBlock(block: Json): Json {
  let out: Json;
  switch (block.type) {
    case "text":
      out = pick(block, ["type", "text"]);
      break;
    case "image":
    case "audio":
      out = pick(block, ["type", "data", "mimeType"]);
      break;
    case "resource_link":
      out = pick(block, ["type", ...RESOURCE_FIELDS]);
      break;
    case "resource": {
      out = {
        type: "resource",
        resource: resourceContents(block.resource),
      };
      break;
    }
    default:
      return block;
  }
  if (block._meta !== undefined) out._meta = block._meta;
  const notes = annotations(block.annotations);
  if (notes) out.annotations = notes;
  return out;
}

/** A resource or template from a listing, its fields in upstream's order, after `server`. */
export function listedResource(server: string, resource: Json, template = false): Json {
  const keys = template
    ? ["uriTemplate", "name", "title", "description", "mimeType"]
    : RESOURCE_FIELDS;
  const out: Json = { server, ...pick(resource, keys) };
  const notes = annotations(resource.annotations);
  if (notes) out.annotations = notes;
  return out;
}

/**
 * What the model reads: the structured content when there is some; content items when the
 * result holds an image (other blocks as JSON text beside it); else the content list as JSON.
 */
export function modelOutput(result: CallToolResult): ToolOutput {
  if (result.structuredContent !== undefined && result.structuredContent !== null) {
    return JSON.stringify(result.structuredContent);
  }
  const blocks = result.content.map(contentBlock);
  if (!blocks.some((block) => block.type === "image")) return JSON.stringify(blocks);
  return blocks.map((block): ContentPart => {
    if (block.type === "text") return { type: "input_text", text: String(block.text ?? "") };
    if (block.type === "image") {
      return { type: "input_image", image_url: `data:${block.mimeType};base64,${block.data}` };
    }
    return { type: "input_text", text: JSON.stringify(block) };
  });
}

/** A failed call as the model reads it: one text block saying what went wrong. */
export function errorOutput(message: string): string {
  return JSON.stringify([{ type: "text", text: message }]);
}

/** The result as the UI shows it (the log prints it, `--json` items carry its parts). */
export function shownResult(result: CallToolResult): Json {
  const out: Json = { content: result.content.map(contentBlock) };
  if (result.structuredContent !== undefined && result.structuredContent !== null) {
    out.structuredContent = result.structuredContent;
  }
  if (result.isError !== undefined) out.isError = result.isError;
  if (result._meta !== undefined) out._meta = result._meta;
  return out;
}
