// The response store on Redis (`serve --store redis://…`), so several serve replicas behind any
// load balancer continue each other's conversations: an entry is one JSON string per response id,
// written with an expiry, so Redis itself bounds how long (and, with its own maxmemory policy, how
// much) is kept. The client library is loaded only when this store is asked for.
//
// Redis failures are not hidden: a lookup that cannot reach Redis fails its request with 503 and
// says so; serve never answers `previous_response_not_found` for an id it could not look up.
import type { RedisClientType } from "redis";
import { RequestError } from "./errors.ts";
import type { ResponseStore, StoredResponse } from "./response_store.ts";

export interface RedisStoreOptions {
  /** `redis://[user:password@]host[:port][/db]`, `rediss://…` (TLS) or `unix:///path/to/socket`. */
  url: string;
  /** How long a response is kept after it is written. */
  ttlSeconds: number;
  /** Told about connection trouble, once per state change; never given the URL's password. */
  log?: (line: string) => void;
}

/** What Redis is asked to keep a response for unless told otherwise: OpenAI's thirty days. */
export const DEFAULT_REDIS_TTL_SECONDS = 30 * 24 * 60 * 60;
const KEY_PREFIX = "tscodex:response:";
const CONNECT_TIMEOUT_MS = 5_000;
/** Between reconnection attempts once a connection was made, growing to this. */
const MAX_RECONNECT_DELAY_MS = 2_000;

/** The store URL as it may be shown: the password replaced. */
export function redactRedisUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:@/]*:)[^@/]*@/i, "$1<redacted>@");
}

/** Whether `value` (a `--store` argument) names a Redis server. */
export function isRedisUrl(value: string): boolean {
  return /^(rediss?|unix):\/\//i.test(value);
}

export class RedisResponseStore implements ResponseStore {
  readonly enabled = true;
  readonly #shown: string;

  private constructor(
    readonly client: RedisClientType,
    readonly options: RedisStoreOptions,
  ) {
    this.#shown = redactRedisUrl(options.url);
  }

  /**
   * Connects to the server at `options.url`; rejects with a sentence naming it when it cannot be
   * reached (the first attempt is not retried: a wrong URL should stop serve at start).
   */
  static async connect(options: RedisStoreOptions): Promise<RedisResponseStore> {
    const { createClient } = await import("redis");
    const shown = redactRedisUrl(options.url);
    let ready = false;
    let reported = false;
    const client = createClient({
      url: options.url,
      // Commands fail at once while the connection is down, instead of queueing behind it.
      disableOfflineQueue: true,
      socket: {
        connectTimeout: CONNECT_TIMEOUT_MS,
        reconnectStrategy: (retries, cause) =>
          ready ? Math.min(100 * 2 ** retries, MAX_RECONNECT_DELAY_MS) : cause,
      },
    }) as RedisClientType;
    client.on("error", (err: Error) => {
      if (ready && !reported) {
        reported = true;
        options.log?.(`the response store at ${shown} is unreachable: ${err.message}`);
      }
    });
    client.on("ready", () => {
      if (reported) options.log?.(`the response store at ${shown} is back`);
      ready = true;
      reported = false;
    });
    try {
      await client.connect();
    } catch (err) {
      client.destroy();
      throw new Error(`cannot connect to Redis at ${shown}: ${(err as Error).message}`);
    }
    return new RedisResponseStore(client, options);
  }

  get description(): string {
    const days = this.options.ttlSeconds / 86_400;
    const kept = Number.isInteger(days) ? `${days} days` : `${this.options.ttlSeconds} seconds`;
    return `it keeps responses made without \`store: false\` in Redis at ${this.#shown} for ${kept}`;
  }

  #key(id: string): string {
    return KEY_PREFIX + id;
  }

  /** `operation`, with a Redis failure turned into a 503 that names the store. */
  async #call<T>(what: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (err) {
      throw new RequestError(
        503,
        `the response store (Redis at ${this.#shown}) could not ${what}: ` +
          `${(err as Error).message}; try again once it is reachable`,
        "store_unavailable",
      );
    }
  }

  async get(id: string): Promise<StoredResponse | undefined> {
    const text = await this.#call("be read", () => this.client.get(this.#key(id)));
    return text === null ? undefined : JSON.parse(text) as StoredResponse;
  }

  async put(id: string, entry: StoredResponse): Promise<void> {
    await this.#call(
      "be written",
      () => this.client.set(this.#key(id), JSON.stringify(entry), { EX: this.options.ttlSeconds }),
    );
  }

  async delete(id: string): Promise<boolean> {
    return await this.#call("be written", () => this.client.del(this.#key(id))) > 0;
  }

  async evict(id: string): Promise<void> {
    await this.delete(id);
  }

  /** Ends the connection after the commands already sent. */
  async close(): Promise<void> {
    try {
      await this.client.close();
    } catch {
      this.client.destroy();
    }
  }
}
