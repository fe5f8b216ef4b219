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
  DEFAULT_REDIS_TTL_SECONDS,
  DEFAULT_STORE_BYTES,
  DEFAULT_STORE_SIZE,
  type DownstreamApi,
  downstreamTarget,
  Dump,
  isRedisUrl,
  MemoryResponseStore,
  redactRedisUrl,
  RedisResponseStore,
  ResponsesProxy,
  type ResponseStore,
  TOKEN_DUMP_ENVS,
  TokenDump,
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
  dumpTokens?: string;
  store: string;
  storeTtl: string;
  storeSize: string;
  storeBytes: string;
  maxBodyBytes: string;
  idleTimeout: string;
}

export const DEFAULT_LISTEN = "127.0.0.1:8001";

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
  const maxBodyBytes = count("--max-body-bytes", options.maxBodyBytes, 1);
  const idleTimeoutMs = count("--idle-timeout", options.idleTimeout, 1) * 1000;
  const log = (line: string) => process.stderr.write(`serve: ${line}\n`);
  const store = await openStore(options, log);

  let dump: Dump | undefined;
  if (options.dump) {
    await folder(`--dump ${options.dump}`, options.dump);
    const secrets = [
      apiKey,
      downstreamKey,
      ...downstreamTarget(url, options.downstreamApi).secrets,
    ];
    dump = new Dump(options.dump, secrets, (err) => log(`dump failed: ${err.message}`));
  }
  const tokenVariable = TOKEN_DUMP_ENVS.find((name) => process.env[name]);
  const tokenDir = options.dumpTokens ?? (tokenVariable && process.env[tokenVariable]);
  let tokenDump: TokenDump | undefined;
  if (tokenDir) {
    await folder(
      options.dumpTokens ? `--dump-tokens ${tokenDir}` : `${tokenVariable}=${tokenDir}`,
      tokenDir,
    );
    tokenDump = new TokenDump(tokenDir, (err) => log(`token dump failed: ${err.message}`));
  }

  const proxy = new ResponsesProxy({
    downstream: { url, api: options.downstreamApi, profile, apiKey: downstreamKey, idleTimeoutMs },
    apiKey,
    access: { allowedOrigins: options.allowOrigin, listenHostname: address.hostname },
    maxBodyBytes,
    store,
    dump,
    tokenDump,
    log,
  });
  const server = await listen(address, rules, proxy.handle);
  const backend = options.downstreamApi === "chat"
    ? `chat completions (${profile.name})`
    : "Anthropic messages";
  log(`Responses API on ${server.url}/v1 → ${backend} at ${proxy.downstream.endpoint}`);
  if (dump) log(`dumping exchanges to ${dump.file}`);
  if (tokenDump) log(`dumping token ids to ${tokenDump.file}`);
  process.stdout.write(`${server.url}/v1\n`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await server.close();
  await dump?.flush();
  await tokenDump?.flush();
  if (store instanceof RedisResponseStore) await store.close();
  return 0;
}

/** Makes sure the folder `dir` exists; `source` (flag or variable, and value) names it if not. */
async function folder(source: string, dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    throw new UsageError(`${source}: ${(err as Error).message}`);
  }
}

/** The response store `--store` names: in memory (bounded by --store-size/-bytes) or Redis. */
async function openStore(
  options: ServeOptions,
  log: (line: string) => void,
): Promise<ResponseStore> {
  if (options.store === "memory") {
    return new MemoryResponseStore({
      entries: count("--store-size", options.storeSize, 0),
      bytes: count("--store-bytes", options.storeBytes, 0),
    });
  }
  const shown = redactRedisUrl(options.store);
  if (!isRedisUrl(options.store)) {
    throw new UsageError(
      `--store ${shown}: expected "memory" or a Redis URL such as redis://127.0.0.1:6379/0 ` +
        "(rediss:// for TLS, unix:///path/to/redis.sock)",
    );
  }
  const ttlSeconds = count("--store-ttl", options.storeTtl, 1);
  try {
    const store = await RedisResponseStore.connect({ url: options.store, ttlSeconds, log });
    log(`keeping responses in Redis at ${shown} for ${ttlSeconds} s`);
    return store;
  } catch (err) {
    throw new UsageError(
      `--store: ${(err as Error).message}; start that Redis server or point --store at one ` +
        "that runs (or leave --store out to keep responses in memory)",
    );
  }
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
    .option("--dump <dir>", "append every exchange to <dir>/exchanges.jsonl")
    .option(
      "--dump-tokens <dir>",
      "ask the backend for token ids and append them, per backend stream, to <dir>/dump.jsonl " +
        `(or set ${TOKEN_DUMP_ENVS.join(" or ")})`,
    )
    .option(
      "--store <where>",
      "where responses are kept for previous_response_id: memory, or a Redis URL " +
        "(redis://host:port/db) shared by several serve replicas",
      "memory",
    )
    .option(
      "--store-ttl <seconds>",
      "how long Redis keeps each response",
      String(DEFAULT_REDIS_TTL_SECONDS),
    )
    .option(
      "--store-size <n>",
      "finished responses kept in memory for previous_response_id; 0 refuses it",
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
