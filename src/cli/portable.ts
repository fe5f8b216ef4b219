// Portable homes on the command line: `tscodex --put [DIR]@HOST:PORT` uploads a home and prints the
// `--call` line; `tscodex --call SPEC [exec …]` runs with that home; `tscodex storage-server` keeps
// the sealed homes. The work itself is in src/portable/.
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import process from "node:process";
import { codexHome } from "../config/mod.ts";
import {
  callHome,
  callSpecText,
  parseCallSpec,
  parsePutSpec,
  putHome,
  storageHandler,
} from "../portable/mod.ts";
import { listen, parseListen } from "./listen.ts";

/** Where `--put` goes when its spec names no server. */
export const DEFAULT_STORAGE_SERVER = "127.0.0.1:5577";

/** `--put` (true: no spec given). Prints the `--call` line on stdout, the steps on stderr. */
export async function runPut(spec: string | true): Promise<number> {
  const server = process.env.TSCODEX_STORAGE_SERVER?.trim() || DEFAULT_STORAGE_SERVER;
  const parsed = parsePutSpec(spec === true ? `@${server}` : spec);
  const dir = parsed.dir ?? codexHome();
  const result = await putHome(dir, parsed.server, (line) => process.stderr.write(line + "\n"));
  process.stdout.write(`tscodex --call ${callSpecText(result.spec)}\n`);
  return 0;
}

/** Where called homes are unpacked: TSCODEX_STORAGE_ROOT, else the user's cache folder. */
export function callCacheRoot(env: Record<string, string | undefined> = process.env): string {
  const root = env.TSCODEX_STORAGE_ROOT?.trim();
  if (root) return resolve(root);
  return join(env.XDG_CACHE_HOME?.trim() || join(homedir(), ".cache"), "tscodex", "portable");
}

/** `--call SPEC`: fetches (or reuses) the home and makes it this run's CODEX_HOME. */
export async function useCalledHome(spec: string): Promise<void> {
  const call = parseCallSpec(spec);
  const { home, cached } = await callHome(call, callCacheRoot());
  process.env.CODEX_HOME = home;
  process.stderr.write(
    `tscodex: home ${call.callId} from ${call.server.address}${cached ? " (cached)" : ""} in ` +
      `${home}\n`,
  );
}

export interface StorageServerOptions {
  root: string;
  listen: string;
  allowRemote?: boolean;
}

/** `tscodex storage-server`: serves until stopped; the first stdout line is its URL. */
export async function runStorageServer(options: StorageServerOptions): Promise<number> {
  const address = parseListen(options.listen, DEFAULT_STORAGE_SERVER);
  const handler = storageHandler({ root: resolve(options.root) });
  const server = await listen(address, {
    option: `--listen ${options.listen}`,
    allowRemote: options.allowRemote === true,
    portHint: "pick another with --listen HOST:PORT (port 0 picks any free one)",
  }, handler);
  process.stdout.write(`${server.url}\n`);
  process.stderr.write(`tscodex: keeping sealed homes in ${resolve(options.root)}\n`);
  await new Promise<void>((done) => {
    process.once("SIGINT", done);
    process.once("SIGTERM", done);
  });
  await server.close();
  return 0;
}
