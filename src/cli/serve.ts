// `tscodex serve` (also `tscodex --serve`): the Responses compat proxy, until SIGINT or SIGTERM.
// The base URL clients should use goes to stdout; one line per finished request to stderr.
import { type Command, Option } from "commander";
import { mkdir } from "node:fs/promises";
import process from "node:process";
import { serveHttp } from "../platform/mod.ts";
import {
  CHAT_PROFILES,
  chatProfile,
  DEFAULT_CHAT_PROFILE,
  DEFAULT_STORE_SIZE,
  type DownstreamApi,
  Dump,
  ResponsesProxy,
} from "../serve/mod.ts";
import { UsageError } from "./exec.ts";

export interface ServeOptions {
  listen: string;
  downstream: string;
  downstreamApi: DownstreamApi;
  provider?: string;
  downstreamKeyEnv?: string;
  apiKeyEnv?: string;
  dump?: string;
  storeSize: string;
  idleTimeout: string;
}

export const DEFAULT_LISTEN = "127.0.0.1:8001";
/** The PYCODEX_DUMP-style switch for --dump. */
export const DUMP_ENV = "TSCODEX_DUMP";

/** `host:port`, `[v6]:port` or a bare port (on loopback). */
export function parseListen(value: string): { hostname: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:\s]*)):(\d+)$/.exec(value) ?? /^()()(\d+)$/.exec(value);
  const port = Number(match?.[3]);
  if (!match || !Number.isInteger(port) || port > 65535) {
    throw new UsageError(`--listen ${value}: expected HOST:PORT, e.g. ${DEFAULT_LISTEN}`);
  }
  return { hostname: match[1] || match[2] || "127.0.0.1", port };
}

function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "::1" || /^127\./.test(hostname);
}

function count(flag: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    throw new UsageError(`${flag} ${value}: expected a whole number of at least ${min}`);
  }
  return n;
}

function secretFrom(flag: string, variable: string | undefined): string | undefined {
  if (variable === undefined) return undefined;
  const value = process.env[variable];
  if (!value) {
    throw new UsageError(`${flag} ${variable}: the environment variable ${variable} is not set`);
  }
  return value;
}

function downstreamUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(
      `--downstream ${value}: not a URL; expected e.g. http://127.0.0.1:8000/v1`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`--downstream ${value}: only http and https backends are supported`);
  }
  return value;
}

export async function runServe(options: ServeOptions): Promise<number> {
  const { hostname, port } = parseListen(options.listen);
  const url = downstreamUrl(options.downstream);
  const apiKey = secretFrom("--api-key-env", options.apiKeyEnv);
  const downstreamKey = secretFrom("--downstream-key-env", options.downstreamKeyEnv);
  if (!isLoopback(hostname) && !apiKey) {
    throw new UsageError(
      `refusing to listen on ${hostname} without --api-key-env: anyone who can reach it could ` +
        `use the backend (and its key); set a client key, or listen on 127.0.0.1`,
    );
  }
  let profile;
  try {
    profile = chatProfile(options.provider ?? DEFAULT_CHAT_PROFILE);
  } catch (err) {
    throw new UsageError(`--provider: ${(err as Error).message}`);
  }
  const storeSize = count("--store-size", options.storeSize, 0);
  const idleTimeoutMs = count("--idle-timeout", options.idleTimeout, 1) * 1000;
  const log = (line: string) => process.stderr.write(`serve: ${line}\n`);

  const dumpDir = options.dump ?? process.env[DUMP_ENV];
  let dump: Dump | undefined;
  if (dumpDir) {
    try {
      await mkdir(dumpDir, { recursive: true });
    } catch (err) {
      throw new UsageError(`--dump ${dumpDir}: ${(err as Error).message}`);
    }
    dump = new Dump(dumpDir, [apiKey, downstreamKey], (err) => log(`dump failed: ${err.message}`));
  }

  const proxy = new ResponsesProxy({
    downstream: { url, api: options.downstreamApi, profile, apiKey: downstreamKey, idleTimeoutMs },
    apiKey,
    storeSize,
    dump,
    log,
  });
  const server = await serveHttp({ hostname, port }, proxy.handle);
  const backend = options.downstreamApi === "chat"
    ? `chat completions (${profile.name})`
    : "Anthropic messages";
  log(`Responses API on ${server.url}/v1 → ${backend} at ${proxy.downstream.endpoint}`);
  if (dump) log(`dumping exchanges to ${dump.file}`);
  process.stdout.write(`${server.url}/v1\n`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await server.close();
  await dump?.flush();
  return 0;
}

/** Declares the `serve` subcommand's options on `command` (created with `program.command`). */
export function configureServe(command: Command, setExit: (code: number) => void): Command {
  return command
    .description(
      "serve a Responses API in front of a chat-completions or Anthropic messages backend",
    )
    .requiredOption("--downstream <url>", "the backend's base URL, e.g. http://127.0.0.1:8000/v1")
    .option("--listen <host:port>", "address to listen on", DEFAULT_LISTEN)
    .addOption(
      new Option("--downstream-api <api>", "the backend's wire API")
        .choices(["chat", "messages"]).default("chat"),
    )
    .option(
      "--provider <name>",
      `chat backend profile: ${Object.keys(CHAT_PROFILES).join(", ")}`,
      DEFAULT_CHAT_PROFILE,
    )
    .option("--downstream-key-env <var>", "environment variable holding the backend's API key")
    .option("--api-key-env <var>", "environment variable holding the key clients must present")
    .option("--dump <dir>", `append every exchange to <dir>/exchanges.jsonl (or set ${DUMP_ENV})`)
    .option(
      "--store-size <n>",
      "finished responses kept for previous_response_id; 0 refuses it",
      String(DEFAULT_STORE_SIZE),
    )
    .option("--idle-timeout <seconds>", "fail a request whose backend is silent this long", "300")
    .action(async (opts: ServeOptions) => {
      setExit(await runServe(opts));
    });
}
