// `--dump DIR`: every client request, downstream exchange and final response as one JSON line in
// DIR/exchanges.jsonl. Credentials never reach the file: header values that carry them are
// replaced, and the known secrets are scrubbed from each whole line before it is written (secrets.ts).
import { appendFile } from "node:fs/promises";
import { join } from "node:path";
import { REDACTED, Secrets } from "./secrets.ts";

const CREDENTIAL_HEADER = /authorization|api[-_]?key|cookie|token|secret/i;

export function redactHeaders(headers: Headers | Record<string, string>): Record<string, string> {
  const entries = headers instanceof Headers ? [...headers] : Object.entries(headers);
  return Object.fromEntries(
    entries.map(([name, value]) => [name, CREDENTIAL_HEADER.test(name) ? REDACTED : value]),
  );
}

export class Dump {
  readonly file: string;
  readonly #secrets: Secrets;
  #queue: Promise<void> = Promise.resolve();

  constructor(
    readonly dir: string,
    secrets: ReadonlyArray<string | undefined>,
    readonly onError: (err: Error) => void = () => {},
  ) {
    this.file = join(dir, "exchanges.jsonl");
    this.#secrets = new Secrets(secrets);
  }

  /** Appends one record; writes are serialised so lines never interleave. */
  write(record: Record<string, unknown>): Promise<void> {
    const line =
      this.#secrets.scrub(JSON.stringify({ time: new Date().toISOString(), ...record })) + "\n";
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
