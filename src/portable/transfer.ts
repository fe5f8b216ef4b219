// Putting a home on a storage server and calling it back. Every failure is a PortableError that
// names the server, the call id or the file, and what to do.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { FileError } from "../platform/mod.ts";
import {
  callIdOf,
  collectHome,
  type HomeFiles,
  isSafeName,
  MAX_BUNDLE_BYTES,
  seal,
  sha256Hex,
  unseal,
} from "./bundle.ts";
import { readCapped } from "./capped_read.ts";
import { PortableError } from "./errors.ts";
import { CALL_PATH, HEALTH_PATH, PUT_PATH, SHA256_HEADER } from "./routes.ts";
import { type CallSpec, callSpecText, type StorageServer } from "./spec.ts";

const TRANSFER_MS = 120_000;
const HEALTH_MS = 5_000;

function hostPort(server: StorageServer): string {
  return new URL(server.url).host;
}

async function send(
  server: StorageServer,
  path: string,
  init: RequestInit,
  ms: number,
): Promise<Response> {
  try {
    return await fetch(`${server.url}${path}`, { ...init, signal: AbortSignal.timeout(ms) });
  } catch (err) {
    const cause = (err as Error)?.name === "TimeoutError"
      ? `no answer within ${ms / 1000} s`
      : String((err as Error)?.message ?? err).split("\n")[0];
    throw new PortableError(
      `cannot reach the storage server ${server.address} (${cause}); check the address, or ` +
        `start one there with \`tscodex storage-server --listen ${hostPort(server)}\``,
    );
  }
}

/** The most of an error's or an answer's body that is read: enough for any message. */
const ANSWER_BYTES = 64 * 1024;

/** A server's text as it may be shown on a terminal: line breaks as spaces, no control characters. */
function printable(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/[\r\n\t]+/g, " ").replace(/[\u0000-\u001f\u007f-\u009f]/g, "").trim();
}

async function failure(server: StorageServer, response: Response, what: string) {
  const bytes = await readCapped(response.body, null, ANSWER_BYTES).catch(() => undefined);
  const text = new TextDecoder().decode(bytes ?? new Uint8Array());
  let detail = text;
  try {
    const message = (JSON.parse(text) as { error?: { message?: unknown } })?.error?.message;
    if (typeof message === "string") detail = message;
  } catch {
    // Not JSON: the text itself.
  }
  detail = printable(detail).slice(0, 200);
  return new PortableError(
    `the storage server ${server.address} refused to ${what}: HTTP ${response.status}` +
      (detail ? ` (${detail})` : ""),
  );
}

/**
 * The body of an answer, at most `cap` bytes; a body over it, or one broken off, is an error that
 * names the server and what it was sending.
 */
async function bodyOf(
  server: StorageServer,
  response: Response,
  what: string,
  cap: number,
): Promise<Uint8Array> {
  let bytes;
  try {
    bytes = await readCapped(response.body, response.headers.get("content-length"), cap);
  } catch (err) {
    const cause = (err as Error)?.name === "TimeoutError"
      ? `no answer within ${TRANSFER_MS / 1000} s`
      : printable(String((err as Error)?.message ?? err).split("\n")[0]);
    throw new PortableError(
      `the storage server ${server.address} broke off sending ${what} (${cause}); try again`,
    );
  }
  if (!bytes) {
    throw new PortableError(
      `the storage server ${server.address} sent more than ${cap} bytes for ${what}: it is not ` +
        "a tscodex storage server, or a broken one",
    );
  }
  return bytes;
}

/** Fetches a sealed home by call id and checks that its bytes are the ones the id names. */
export async function fetchBundle(server: StorageServer, callId: string): Promise<Uint8Array> {
  const response = await send(server, `${CALL_PATH}${callId}`, {}, TRANSFER_MS);
  if (response.status === 404) {
    await response.body?.cancel();
    throw new PortableError(
      `no home with call id ${callId} on ${server.address}: check the --call spec, or put the ` +
        "home there again with `tscodex --put`",
    );
  }
  if (!response.ok) throw await failure(server, response, `send ${callId}`);
  const payload = await bodyOf(server, response, callId, MAX_BUNDLE_BYTES);
  if (await callIdOf(payload) !== callId) {
    throw new PortableError(
      `the home ${callId} from ${server.address} is corrupted (its bytes do not match the call ` +
        "id); put it there again with `tscodex --put`",
    );
  }
  return payload;
}

export interface PutResult {
  spec: CallSpec;
  files: string[];
  bytes: number;
  /** `stored`, or `reused` when the server already had these bytes. */
  status: string;
}

/**
 * Uploads the home in `dir`: collects and seals it, stores it, then fetches it back and opens it
 * to check the round trip. `log` hears each step.
 */
export async function putHome(
  dir: string,
  server: StorageServer,
  log: (line: string) => void,
): Promise<PutResult> {
  const files = collectHome(dir);
  const names = Object.keys(files).sort();
  log(`[put] ${resolve(dir)}: ${names.join(", ")}`);
  const health = await send(server, HEALTH_PATH, {}, HEALTH_MS);
  await health.body?.cancel();
  if (!health.ok) {
    throw new PortableError(
      `${server.address} answered /healthz with HTTP ${health.status}: is it a tscodex ` +
        "storage server?",
    );
  }
  const sealed = await seal(files);
  log(`[put] sealed with AES-256-GCM: ${sealed.payload.length} bytes, call id ${sealed.callId}`);
  const response = await send(server, PUT_PATH, {
    method: "POST",
    headers: {
      "content-type": "application/octet-stream",
      [SHA256_HEADER]: await sha256Hex(sealed.payload),
    },
    body: sealed.payload as BodyInit,
  }, TRANSFER_MS);
  if (!response.ok) throw await failure(server, response, "store the home");
  const answer = await bodyOf(server, response, "its answer", ANSWER_BYTES);
  let stored: { call_id?: unknown; status?: unknown } | undefined;
  try {
    stored = JSON.parse(new TextDecoder().decode(answer));
  } catch {
    // Not JSON: said below.
  }
  if (typeof stored !== "object" || stored === null) {
    throw new PortableError(
      `the storage server ${server.address} answered the upload with something other than ` +
        `JSON (HTTP ${response.status}): is it a tscodex storage server?`,
    );
  }
  if (stored.call_id !== sealed.callId) {
    throw new PortableError(
      `the storage server ${server.address} named the home ` +
        `${JSON.stringify(stored.call_id)?.slice(0, 80)}, not ${sealed.callId}: it is not a ` +
        "tscodex storage server, or a broken one",
    );
  }
  const status = typeof stored.status === "string" ? printable(stored.status).slice(0, 20) : "";
  log(`[put] stored on ${server.address} (${status || "stored"})`);
  const back = await unseal(await fetchBundle(server, sealed.callId), sealed.secret);
  const same = Object.keys(back).length === names.length &&
    names.every((name) => back[name] && equal(back[name], files[name]));
  if (!same) {
    throw new PortableError(
      `the home fetched back from ${server.address} differs from the one put there`,
    );
  }
  log(`[put] fetched back and opened: ${names.length} files match`);
  return {
    spec: { secret: sealed.secret, callId: sealed.callId, server },
    files: names,
    bytes: sealed.payload.length,
    status: status || "stored",
  };
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** Writes the files under `dest` (made fresh), readable by this user only. */
function unpack(files: HomeFiles, dest: string): void {
  mkdirSync(dest, { recursive: true, mode: 0o700 });
  for (const [name, bytes] of Object.entries(files)) {
    const path = resolve(dest, name);
    if (!isSafeName(name) || !path.startsWith(resolve(dest) + "/")) {
      throw new PortableError(`the home holds a file named ${JSON.stringify(name)}; refused`);
    }
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(path, bytes, { mode: 0o600 });
  }
}

interface CacheMetadata {
  call_id: string;
  server: string;
}

/**
 * The home a `--call` spec names, unpacked under `cacheRoot` (reused when it was fetched before:
 * a call id names exactly one content). Returns the home's folder.
 */
export async function callHome(
  spec: CallSpec,
  cacheRoot: string,
): Promise<{ home: string; cached: boolean }> {
  const dir = join(
    cacheRoot,
    (await sha256Hex(new TextEncoder().encode(callSpecText(spec))))
      .slice(0, 16),
  );
  const home = join(dir, "home");
  const metadataFile = join(dir, "metadata.json");
  try {
    const metadata = JSON.parse(readFileSync(metadataFile, "utf8")) as CacheMetadata;
    if (
      metadata.call_id === spec.callId && metadata.server === spec.server.address &&
      existsSync(join(home, "config.toml"))
    ) return { home, cached: true };
  } catch {
    // Not fetched yet, or not whole: fetch it.
  }
  const files = await unseal(await fetchBundle(spec.server, spec.callId), spec.secret);
  if (!files["config.toml"]) {
    throw new PortableError(`the home ${spec.callId} has no config.toml; put a whole home again`);
  }
  // Unpacked beside, then renamed into place: a half-written home is never taken for one.
  const fresh = join(dir, `home.${crypto.randomUUID()}`);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    unpack(files, fresh);
    rmSync(home, { recursive: true, force: true });
    renameSync(fresh, home);
    const metadata: CacheMetadata = { call_id: spec.callId, server: spec.server.address };
    writeFileSync(metadataFile, JSON.stringify(metadata) + "\n", { mode: 0o600 });
  } catch (err) {
    rmSync(fresh, { recursive: true, force: true });
    if (err instanceof PortableError) throw err;
    throw new FileError(
      "unpack the home into",
      dir,
      err,
      "set TSCODEX_STORAGE_ROOT to a writable folder",
    );
  }
  return { home, cached: false };
}
