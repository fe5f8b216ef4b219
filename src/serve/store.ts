// previous_response_id support: a bounded, least-recently-used memory of finished responses.
// Each entry holds the full input the response was made from and its output, so a chained
// request can be expanded into the history a stateless backend needs. Nothing survives a restart.
import type { ResponseItem } from "../protocol/mod.ts";

export interface StoredResponse {
  input: ResponseItem[];
  output: ResponseItem[];
}

export class ResponseStore {
  readonly #entries = new Map<string, StoredResponse>();

  /** `capacity` 0 turns the store off: nothing is kept and every lookup misses. */
  constructor(readonly capacity: number) {}

  get enabled(): boolean {
    return this.capacity > 0;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(id: string): StoredResponse | undefined {
    const entry = this.#entries.get(id);
    if (entry) {
      // Map iteration order is insertion order: re-inserting marks the entry as recently used.
      this.#entries.delete(id);
      this.#entries.set(id, entry);
    }
    return entry;
  }

  put(id: string, entry: StoredResponse): void {
    if (!this.enabled) return;
    this.#entries.delete(id);
    this.#entries.set(id, entry);
    while (this.#entries.size > this.capacity) {
      this.#entries.delete(this.#entries.keys().next().value!);
    }
  }
}
