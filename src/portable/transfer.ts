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
  seal,
  sha256Hex,
  unseal,
} from "./bundle.ts";
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

async function failure(server: StorageServer, response: Response, what: string) {
  const text = await response.text().catch(() => "");
  let detail = text.slice(0, 200);
  try {
    detail = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? detail;
  } catch {
    // Not JSON: the text itself.
  }
  return new PortableError(
    `the storage server ${server.address} refused to ${what}: HTTP ${response.status}` +
      (detail ? ` (${detail})` : ""),
  );
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
  const payload = new Uint8Array(await response.arrayBuffer());
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
  const stored = await response.json() as { call_id?: string; status?: string };
  if (stored.call_id !== sealed.callId) {
    throw new PortableError(
      `the storage server ${server.address} named the home ${stored.call_id}, not ` +
        `${sealed.callId}: it is not a tscodex storage server, or a broken one`,
    );
  }
  log(`[put] stored on ${server.address} (${stored.status ?? "stored"})`);
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
    status: stored.status ?? "stored",
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
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Unpacked beside, then renamed into place: a half-written home is never taken for one.
    const fresh = join(dir, `home.${crypto.randomUUID()}`);
    unpack(files, fresh);
    rmSync(home, { recursive: true, force: true });
    renameSync(fresh, home);
    const metadata: CacheMetadata = { call_id: spec.callId, server: spec.server.address };
    writeFileSync(metadataFile, JSON.stringify(metadata) + "\n", { mode: 0o600 });
  } catch (err) {
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
