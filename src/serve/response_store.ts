// The response store behind previous_response_id and GET/DELETE /v1/responses/{id}. One
// interface, so replicas can share a store on another engine; the in-memory one here is bounded
// by entries and by bytes, least recently used out first, and nothing in it survives a restart.
//
// Each entry holds only what its own request added (its input items) and the response, plus the
// id it continued from: a conversation is a chain of entries, so a long one costs its length once,
// not once per turn.
import type { ResponseItem } from "../protocol/mod.ts";

export interface StoredResponse {
  /** The response object, as GET /v1/responses/{id} returns it (its `output` included). */
  response: { id: string; output: ResponseItem[]; [key: string]: unknown };
  /** The items this request sent in `input`, as GET /v1/responses/{id}/input_items lists them. */
  input: ResponseItem[];
  /** The response this one continued from (its `previous_response_id`). */
  previousResponseId?: string;
}

export interface ResponseStore {
  /** Whether anything is kept; a disabled store refuses previous_response_id outright. */
  readonly enabled: boolean;
  /** Words for error messages: what the store keeps and for how long. */
  readonly description: string;
  get(id: string): Promise<StoredResponse | undefined>;
  put(id: string, entry: StoredResponse): Promise<void>;
  /** A client's DELETE: true when the entry existed. */
  delete(id: string): Promise<boolean>;
  /** Forgets an entry the server no longer trusts (a failed continuation); nothing to report. */
  evict(id: string): Promise<void>;
}

export interface MemoryStoreLimits {
  /** How many responses are kept; 0 keeps none. */
  entries: number;
  /** How many bytes of JSON they may take together; an entry larger than this is not kept. */
  bytes: number;
}

export class MemoryResponseStore implements ResponseStore {
  readonly #entries = new Map<string, { entry: StoredResponse; bytes: number }>();
  #bytes = 0;

  constructor(readonly limits: MemoryStoreLimits) {}

  get enabled(): boolean {
    return this.limits.entries > 0 && this.limits.bytes > 0;
  }

  get description(): string {
    return `it keeps the last ${this.limits.entries} responses (at most ${this.limits.bytes} ` +
      `bytes) made without \`store: false\`, in memory only`;
  }

  /** How many entries, and how many bytes of JSON, are held now. */
  get size(): { entries: number; bytes: number } {
    return { entries: this.#entries.size, bytes: this.#bytes };
  }

  get(id: string): Promise<StoredResponse | undefined> {
    const held = this.#entries.get(id);
    if (held) {
      // Map iteration order is insertion order: re-inserting marks the entry as recently used.
      this.#entries.delete(id);
      this.#entries.set(id, held);
    }
    return Promise.resolve(held?.entry);
  }

  put(id: string, entry: StoredResponse): Promise<void> {
    this.#remove(id);
    if (!this.enabled) return Promise.resolve();
    const bytes = JSON.stringify(entry).length;
    if (bytes > this.limits.bytes) return Promise.resolve();
    this.#entries.set(id, { entry, bytes });
    this.#bytes += bytes;
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.limits.entries && this.#bytes <= this.limits.bytes) break;
      this.#remove(oldest);
    }
    return Promise.resolve();
  }

  delete(id: string): Promise<boolean> {
    return Promise.resolve(this.#remove(id));
  }

  evict(id: string): Promise<void> {
    this.#remove(id);
    return Promise.resolve();
  }

  #remove(id: string): boolean {
    const held = this.#entries.get(id);
    if (!held) return false;
    this.#entries.delete(id);
    this.#bytes -= held.bytes;
    return true;
  }
}

/**
 * A WebSocket connection's view of the responses it may continue: its own (`local`, which holds
 * `store: false` ones too) first, then the shared store. Writes go to `local`; a delete or an
 * eviction reaches both, so no replica keeps what the connection gave up on.
 */
export class LayeredResponseStore implements ResponseStore {
  readonly enabled = true;

  constructor(readonly local: ResponseStore, readonly shared: ResponseStore) {}

  get description(): string {
    return `responses made on this WebSocket are kept for it, and beyond those ${this.shared.description}`;
  }

  async get(id: string): Promise<StoredResponse | undefined> {
    return await this.local.get(id) ?? await this.shared.get(id);
  }

  put(id: string, entry: StoredResponse): Promise<void> {
    return this.local.put(id, entry);
  }

  async delete(id: string): Promise<boolean> {
    const [local, shared] = await Promise.all([this.local.delete(id), this.shared.delete(id)]);
    return local || shared;
  }

  async evict(id: string): Promise<void> {
    await Promise.all([this.local.evict(id), this.shared.evict(id)]);
  }
}
