// Request bodies: read with a byte cap (refused before the rest arrives), checked for nesting
// deeper than anything serve would serialise again, and parsed into a JSON object.
import { Buffer } from "node:buffer";
import { RequestError } from "./errors.ts";

/** Deeper JSON is refused: serialising it again (dumps, the backend request) would overflow the stack. */
export const MAX_JSON_DEPTH = 256;

function tooLarge(limit: number): RequestError {
  return new RequestError(
    413,
    `request body is larger than this server's limit of ${limit} bytes (--max-body-bytes)`,
    "request_too_large",
  );
}

/** The body as text, refused with 413 once it passes `limit` bytes, before the rest is read. */
async function readBody(request: Request, limit: number): Promise<string> {
  const declared = Number(request.headers.get("content-length") ?? "");
  if (declared > limit) throw tooLarge(limit);
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      reader.cancel().catch(() => {});
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total).toString("utf8");
}

/** Whether JSON `text` nests arrays and objects more than `limit` deep (strings skipped). */
export function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: the next character is escaped
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > limit) return true;
    } else if (c === 125 || c === 93) depth--;
  }
  return false;
}

/** The request's body as a JSON object, or a RequestError that says what is wrong with it. */
export async function readJsonObject(
  request: Request,
  limit: number,
): Promise<Record<string, unknown>> {
  return parseJsonObject(await readBody(request, limit));
}

/** JSON text (a request body, a WebSocket message) as an object, or a RequestError saying why not. */
export function parseJsonObject(text: string): Record<string, unknown> {
  if (!text.trim()) throw new RequestError(400, "request body is empty; expected a JSON object");
  if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
    throw new RequestError(
      400,
      `request body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep`,
      "invalid_json",
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new RequestError(
      400,
      `request body is not valid JSON: ${(err as Error).message}`,
      "invalid_json",
    );
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new RequestError(400, "request body must be a JSON object (a Responses API request)");
  }
  return raw as Record<string, unknown>;
}
