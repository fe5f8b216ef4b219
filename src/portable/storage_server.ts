// The storage server: content-addressed, it keeps sealed homes as `<root>/objects/<call id>.bin`
// and cannot read them. `GET /healthz`; `POST /v1/storage/put` (application/octet-stream, a
// sealed home, optionally with its SHA-256) → `{"call_id","status","bytes"}`; `GET
// /v1/storage/call/<call id>` → the bytes with their SHA-256. Every error is a JSON body.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FileError, ioCause } from "../platform/mod.ts";
import { CALL_ID_PATTERN, callIdOf, looksSealed, MAX_BUNDLE_BYTES, sha256Hex } from "./bundle.ts";
import { readCapped } from "./capped_read.ts";
import { CALL_PATH, HEALTH_PATH, PUT_PATH, SHA256_HEADER } from "./routes.ts";

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

function error(status: number, message: string): Response {
  return json(status, { error: { message } });
}

export interface StorageServerOptions {
  root: string;
  maxBytes?: number;
}

/** The server's request handler over the folder `root` (made if missing). */
export function storageHandler(
  options: StorageServerOptions,
): (request: Request) => Promise<Response> {
  const objects = join(options.root, "objects");
  try {
    mkdirSync(objects, { recursive: true });
  } catch (err) {
    throw new FileError("create the storage folder", objects, err, "pass --root a writable folder");
  }
  const cap = options.maxBytes ?? MAX_BUNDLE_BYTES;
  return async (request) => {
    const path = new URL(request.url).pathname;
    if (path === HEALTH_PATH) {
      return request.method === "GET" ? json(200, { status: "ok" }) : error(405, "use GET");
    }
    if (path === PUT_PATH) {
      if (request.method !== "POST") return error(405, "use POST");
      // Not a type a web page can send cross-site without asking first.
      if (request.headers.get("content-type") !== "application/octet-stream") {
        return error(415, "send the sealed home as application/octet-stream");
      }
      const body = await readCapped(
        request.body,
        request.headers.get("content-length"),
        cap,
      );
      if (!body) return error(413, `a home may hold at most ${cap} bytes`);
      if (!looksSealed(body)) return error(400, "this is not a sealed tscodex home");
      const declared = request.headers.get(SHA256_HEADER);
      if (declared && declared.toLowerCase() !== await sha256Hex(body)) {
        return error(400, `the body does not match its ${SHA256_HEADER}; send it again`);
      }
      const callId = await callIdOf(body);
      const file = join(objects, `${callId}.bin`);
      const status = existsSync(file) ? "reused" : "stored";
      if (status === "stored") {
        const temporary = `${file}.${crypto.randomUUID()}.part`;
        try {
          writeFileSync(temporary, body);
          renameSync(temporary, file);
        } catch (err) {
          rmSync(temporary, { force: true });
          return error(507, `the server cannot store the home: ${ioCause(err)}`);
        }
      }
      return json(200, { call_id: callId, status, bytes: body.length });
    }
    if (path.startsWith(CALL_PATH)) {
      if (request.method !== "GET") return error(405, "use GET");
      const callId = path.slice(CALL_PATH.length);
      if (!CALL_ID_PATTERN.test(callId)) return error(400, `"${callId}" is not a call id`);
      let bytes: Uint8Array;
      try {
        bytes = readFileSync(join(objects, `${callId}.bin`));
      } catch {
        return error(404, `no home with call id ${callId}`);
      }
      return new Response(bytes as BodyInit, {
        headers: {
          "content-type": "application/octet-stream",
          [SHA256_HEADER]: await sha256Hex(bytes),
        },
      });
    }
    return error(404, `nothing at ${path}`);
  };
}
