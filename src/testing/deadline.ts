// Deadlines for tests: anything a test awaits from a server, a subprocess or a terminal can hang,
// and a hung test must fail with what it was waiting for rather than stall the whole run.

/** Long enough for a slow, loaded machine; a deadline only ever fires on a hang. */
export const DEADLINE_MS = 60_000;

/**
 * `promise`, or a failure naming `what` if it has not settled after `ms`: turns a hang (a
 * process that never starts or never dies) into a test failure. Not a synchronisation device.
 */
export async function within<T>(promise: Promise<T>, what: string, ms = DEADLINE_MS): Promise<T> {
  let guard: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    guard = setTimeout(() => reject(new Error(`still waiting for ${what} after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(guard);
  }
}
