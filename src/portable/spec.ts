// The two command-line forms: `--put [DIR]@HOST:PORT` and `--call SECRET-ID@HOST:PORT`. The server
// may be written with `http://` or `https://`; without a scheme it is plain HTTP.
import { CALL_ID_PATTERN, SECRET_PATTERN } from "./bundle.ts";
import { PortableError } from "./errors.ts";

export interface StorageServer {
  /** As the user wrote it, without a trailing slash: goes back into the printed `--call` spec. */
  address: string;
  /** The base URL requests go to. */
  url: string;
}

function server(text: string, flag: string, example: string): StorageServer {
  const address = text.replace(/\/+$/, "");
  const url = /^https?:\/\//i.test(address) ? address : `http://${address}`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    parsed = new URL("http://invalid");
  }
  if (!address || parsed.hostname === "invalid" || !parsed.hostname) {
    throw new PortableError(`${flag}: "${text}" is not a server address; expected ${example}`);
  }
  return { address, url };
}

/** `[DIR]@HOST:PORT`: the home to upload (undefined: CODEX_HOME) and where to. */
export function parsePutSpec(spec: string): { dir?: string; server: StorageServer } {
  const at = spec.lastIndexOf("@");
  const example = "[DIR]@HOST:PORT, e.g. ~/.codex@127.0.0.1:5577";
  if (at < 0) throw new PortableError(`--put ${spec}: expected ${example}`);
  const dir = spec.slice(0, at);
  return { dir: dir || undefined, server: server(spec.slice(at + 1), `--put ${spec}`, example) };
}

export interface CallSpec {
  secret: string;
  callId: string;
  server: StorageServer;
}

/** `SECRET-ID@HOST:PORT`, as `--put` prints it. */
export function parseCallSpec(spec: string): CallSpec {
  const example = "SECRET-ID@HOST:PORT, as `tscodex --put` prints it";
  const at = spec.indexOf("@");
  const [secret, callId, extra] = (at < 0 ? spec : spec.slice(0, at)).split("-");
  if (at < 0 || extra !== undefined || !SECRET_PATTERN.test(secret ?? "")) {
    throw new PortableError(`--call: "${spec}" is not a call spec; expected ${example}`);
  }
  if (!CALL_ID_PATTERN.test(callId ?? "")) {
    throw new PortableError(`--call: "${spec}" has no valid call id; expected ${example}`);
  }
  return { secret, callId, server: server(spec.slice(at + 1), "--call", example) };
}

export function callSpecText(spec: CallSpec): string {
  return `${spec.secret}-${spec.callId}@${spec.server.address}`;
}
