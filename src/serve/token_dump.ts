// `serve --dump-tokens DIR` (or TSCODEX_DUMP / PYCODEX_DUMP): the token ids of every downstream
// stream, for training pipelines. The backend is asked for them (`return_token_ids: true`, which
// vLLM understands) and each stream — a follow-up round or a silent retry is a stream of its own —
// appends one line to DIR/dump.jsonl:
//   {"tokens": {"prefill": [...], "decode": [...]}, "send_timestamp": <epoch seconds>}
// `prefill` is the prompt's ids, from the first event that carries `prompt_token_ids`; `decode`
// is every generated id in order: `choices[].token_ids` of chat chunks (or an event's own
// `token_ids`). Nothing else of the exchange is written, so no text or credential reaches the file.
import { appendFile } from "node:fs/promises";
import { join } from "node:path";

/** The environment variables that switch the token dump on, as the seed read the second. */
export const TOKEN_DUMP_ENVS = ["TSCODEX_DUMP", "PYCODEX_DUMP"] as const;

type Json = Record<string, unknown>;

function ids(value: unknown): number[] | undefined {
  return Array.isArray(value) ? value as number[] : undefined;
}

/** One downstream stream's ids, collected from its SSE data as it arrives. */
export class TokenRecorder {
  prefill?: number[];
  readonly decode: number[] = [];

  /** `sendTimestamp`: when the request went out, in seconds since the epoch. */
  constructor(readonly sendTimestamp: number) {}

  /** Takes the ids out of one SSE data payload (anything that is not JSON is skipped). */
  read(data: string): void {
    let event: Json;
    try {
      event = JSON.parse(data);
    } catch {
      return;
    }
    if (typeof event !== "object" || event === null) return;
    this.prefill ??= ids(event.prompt_token_ids) ?? ids((event.message as Json)?.prompt_token_ids);
    const choices = Array.isArray(event.choices) ? event.choices as Json[] : [];
    for (const choice of choices) this.decode.push(...ids(choice?.token_ids) ?? []);
    this.decode.push(...ids(event.token_ids) ?? []);
  }
}

export class TokenDump {
  readonly file: string;
  #queue: Promise<void> = Promise.resolve();

  constructor(readonly dir: string, readonly onError: (err: Error) => void = () => {}) {
    this.file = join(dir, "dump.jsonl");
  }

  /** Appends the record of a finished stream; writes are serialised so lines never interleave. */
  write(recorder: TokenRecorder): Promise<void> {
    const line = JSON.stringify({
      tokens: { prefill: recorder.prefill ?? [], decode: recorder.decode },
      send_timestamp: recorder.sendTimestamp,
    }) + "\n";
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
