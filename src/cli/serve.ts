// `tscodex serve` (also `tscodex --serve`): the Responses compat proxy, until SIGINT or SIGTERM.
// The base URL clients should use goes to stdout; one line per finished request to stderr.
import { type Command, Option } from "commander";
import { mkdir } from "node:fs/promises";
import process from "node:process";
import { isLoopbackHost } from "../platform/mod.ts";
import {
  CHAT_PROFILES,
  chatProfile,
  DEFAULT_CHAT_PROFILE,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_STORE_BYTES,
  DEFAULT_STORE_SIZE,
  type DownstreamApi,
  downstreamTarget,
  Dump,
  MemoryResponseStore,
  ResponsesProxy,
} from "../serve/mod.ts";
import { UsageError } from "./exec.ts";
import { checkListen, listen, type ListenRules, parseListen } from "./listen.ts";

export interface ServeOptions {
  listen: string;
  allowRemote?: boolean;
  allowOrigin: string[];
  downstream: string;
  downstreamApi: DownstreamApi;
  provider?: string;
  downstreamKeyEnv?: string;
  apiKeyEnv?: string;
  dump?: string;
  storeSize: string;
  storeBytes: string;
  maxBodyBytes: string;
  idleTimeout: string;
}

export const DEFAULT_LISTEN = "127.0.0.1:8001";
/** The PYCODEX_DUMP-style switch for --dump. */
export const DUMP_ENV = "TSCODEX_DUMP";

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

/** An --allow-origin value: exactly an origin, `scheme://host[:port]`, as browsers send it. */
function origin(value: string, previous: string[] = []): string[] {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    // reported below
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || url.origin !== value) {
    throw new UsageError(
      `--allow-origin ${value}: expected an origin such as https://app.example.com ` +
        `(scheme, host and port only, no path or trailing slash)`,
    );
  }
  return [...previous, value];
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
  const address = parseListen(options.listen);
  const url = downstreamUrl(options.downstream);
  const apiKey = secretFrom("--api-key-env", options.apiKeyEnv);
  const downstreamKey = secretFrom("--downstream-key-env", options.downstreamKeyEnv);
  const rules: ListenRules = {
    option: `--listen ${options.listen}`,
    allowRemote: options.allowRemote === true,
    portHint: "pick another with --listen HOST:PORT (port 0 picks any free one)",
  };
  await checkListen(address, rules);
  if (!isLoopbackHost(address.hostname) && !apiKey) {
    throw new UsageError(
      `refusing to listen on ${address.hostname} without --api-key-env: anyone who can reach it ` +
        `could use the backend (and its key); set a client key, or listen on 127.0.0.1`,
    );
  }
  let profile;
  try {
    profile = chatProfile(options.provider ?? DEFAULT_CHAT_PROFILE);
  } catch (err) {
    throw new UsageError(`--provider: ${(err as Error).message}`);
  }
  const store = new MemoryResponseStore({
    entries: count("--store-size", options.storeSize, 0),
    bytes: count("--store-bytes", options.storeBytes, 0),
  });
  const maxBodyBytes = count("--max-body-bytes", options.maxBodyBytes, 1);
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
    const secrets = [
      apiKey,
      downstreamKey,
      ...downstreamTarget(url, options.downstreamApi).secrets,
    ];
    dump = new Dump(dumpDir, secrets, (err) => log(`dump failed: ${err.message}`));
  }

  const proxy = new ResponsesProxy({
    downstream: { url, api: options.downstreamApi, profile, apiKey: downstreamKey, idleTimeoutMs },
    apiKey,
    access: { allowedOrigins: options.allowOrigin, listenHostname: address.hostname },
    maxBodyBytes,
    store,
    dump,
    log,
  });
  const server = await listen(address, rules, proxy.handle);
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
    .option("--listen <host:port>", "address to listen on (loopback only)", DEFAULT_LISTEN)
    .option(
      "--allow-remote",
      "allow --listen to be an address other machines can reach (needs --api-key-env)",
    )
    .option(
      "--allow-origin <origin>",
      "let web pages from this origin call serve (repeatable); loopback pages always may",
      origin,
      [],
    )
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
    .option(
      "--store-bytes <n>",
      "bytes of JSON those stored responses may take together",
      String(DEFAULT_STORE_BYTES),
    )
    .option(
      "--max-body-bytes <n>",
      "largest request body accepted (larger: HTTP 413)",
      String(DEFAULT_MAX_BODY_BYTES),
    )
    .option(
      "--idle-timeout <seconds>",
      "fail a request whose backend sends no events this long",
      "300",
    )
    .action(async (opts: ServeOptions) => {
      setExit(await runServe(opts));
    });
}
