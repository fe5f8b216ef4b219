// Backoff between retries, as upstream spaces them: 200 ms doubling per attempt, ±10% jitter.
// Capped, so a generous stream_max_retries cannot make tscodex sleep for minutes.
export const MAX_BACKOFF_MS = 10_000;
/** The longest server-requested wait (retry-after, "try again in …") that is honoured as given. */
export const MAX_RETRY_AFTER_MS = 60_000;

/** The wait before retry number `attempt` (1-based). */
export function backoffMs(attempt: number, random = Math.random): number {
  const base = 200 * 2 ** Math.min(Math.max(attempt - 1, 0), 16);
  return Math.min(MAX_BACKOFF_MS, Math.round(base * (0.9 + random() * 0.2)));
}

/** The wait before a retry: the server's request when it made one, else the backoff. */
export function retryDelayMs(attempt: number, retryAfterMs: number | undefined): number {
  return retryAfterMs === undefined
    ? backoffMs(attempt)
    : Math.min(MAX_RETRY_AFTER_MS, Math.max(0, retryAfterMs));
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function wait(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
