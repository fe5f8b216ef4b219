// Deadlines for tests: anything a test awaits from a server, a subprocess or a terminal can hang,
// and a hung test must fail saying what it was waiting for rather than stall the whole run.

/** Long enough for a slow, loaded machine: a deadline only ever fires on a hang. */
export const DEADLINE_MS = 90_000;

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

/**
 * Resolves once `check` holds, for state the test owns that sends no event (a file it created, the
 * screen of its terminal); fails naming `what` (and `detail()`, when given) past the deadline.
 */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  options: { ms?: number; detail?: () => string } = {},
): Promise<void> {
  const ms = options.ms ?? DEADLINE_MS;
  const end = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > end) {
      const detail = options.detail ? `:\n${options.detail()}` : "";
      throw new Error(`still waiting for ${what} after ${ms} ms${detail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
