// The submission queue: user input arrives while a turn may be running. Steer input joins the
// running turn at its next safe boundary; queued input waits for its own turn; an interrupt
// cancels the running turn (the HTTP request and the tools share one AbortSignal).
import { type Agent, SHUTDOWN_REASON, type TurnResult } from "./agent.ts";

export type SubmitMode = "steer" | "queue";

interface Pending {
  texts: string[];
  resolve: (result: TurnResult) => void;
  reject: (error: unknown) => void;
}

export class SubmissionQueue {
  readonly #pending: Pending[] = [];
  #current?: { abort: AbortController; done: Promise<TurnResult> };
  #closed = false;

  constructor(readonly agent: Agent) {}

  get busy(): boolean {
    return this.#current !== undefined;
  }

  /**
   * Submits user input. With "steer" (the default) and a turn running, the text enters that turn
   * and the returned promise settles with it; otherwise the text becomes a turn of its own, after
   * any turn already waiting.
   */
  submit(text: string, mode: SubmitMode = "steer"): Promise<TurnResult> {
    if (this.#closed) return Promise.reject(new Error("the session is shut down"));
    if (mode === "steer" && this.#current && this.agent.steer(text)) return this.#current.done;
    return new Promise((resolve, reject) => {
      this.#pending.push({ texts: [text], resolve, reject });
      this.#pump();
    });
  }

  /** Resolves once nothing runs and nothing waits. */
  async idle(): Promise<void> {
    while (this.#current) await this.#current.done.catch(() => {});
  }

  /** Cancels the running turn; queued turns still run afterwards. */
  interrupt(): void {
    this.#current?.abort.abort();
  }

  /** Rejects whatever waits, interrupts what runs, and waits for it to stop. */
  async shutdown(): Promise<void> {
    this.#closed = true;
    for (const pending of this.#pending.splice(0)) {
      pending.reject(new Error("the session is shut down"));
    }
    this.#current?.abort.abort(SHUTDOWN_REASON);
    await this.#current?.done.catch(() => {});
  }

  #pump(): void {
    if (this.#current || this.#pending.length === 0) return;
    const next = this.#pending.shift()!;
    const abort = new AbortController();
    const done = this.agent.runTurn(next.texts, abort.signal);
    this.#current = { abort, done };
    done.then(next.resolve, next.reject).finally(() => {
      this.#current = undefined;
      this.#pump();
    });
  }
}
