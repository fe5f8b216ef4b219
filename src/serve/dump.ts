// `--dump DIR`: every client request, downstream exchange and final response as one JSON line in
// DIR/exchanges.jsonl. Credentials never reach the file: header values that carry them are
// replaced, and the known secrets are scrubbed from each whole line before it is written.
import { appendFile } from "node:fs/promises";
import { join } from "node:path";

const CREDENTIAL_HEADER = /authorization|api[-_]?key|cookie|token|secret/i;
export const REDACTED = "<redacted>";

export function redactHeaders(headers: Headers | Record<string, string>): Record<string, string> {
  const entries = headers instanceof Headers ? [...headers] : Object.entries(headers);
  return Object.fromEntries(
    entries.map(([name, value]) => [name, CREDENTIAL_HEADER.test(name) ? REDACTED : value]),
  );
}

export class Dump {
  readonly file: string;
  readonly #secrets: string[];
  #queue: Promise<void> = Promise.resolve();

  constructor(
    readonly dir: string,
    secrets: ReadonlyArray<string | undefined>,
    readonly onError: (err: Error) => void = () => {},
  ) {
    this.file = join(dir, "exchanges.jsonl");
    // As they appear inside JSON text; very short values would scrub unrelated text.
    this.#secrets = secrets.filter((s): s is string => !!s && s.length >= 4)
      .map((s) => JSON.stringify(s).slice(1, -1));
  }

  #scrub(text: string): string {
    return this.#secrets.reduce((out, secret) => out.replaceAll(secret, REDACTED), text);
  }

  /** Appends one record; writes are serialised so lines never interleave. */
  write(record: Record<string, unknown>): Promise<void> {
    const line = this.#scrub(JSON.stringify({ time: new Date().toISOString(), ...record })) + "\n";
    this.#queue = this.#queue.then(() => appendFile(this.file, line)).catch((err) =>
      this.onError(err as Error)
    );
    return this.#queue;
  }

  /** Resolves when everything written so far is on disk. */
  flush(): Promise<void> {
    return this.#queue;
  }
}
