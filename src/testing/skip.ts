// Tests that cannot run on this machine are skipped with a reason, never silently: each skip is
// printed and, when $TSCODEX_SKIP_LOG names a file, appended to it as a JSON line, so CI
// (.ci/run) can count the skips and fail on any it could have fixed by installing something.
import { appendFileSync } from "node:fs";
import process from "node:process";

export interface Skip {
  /** The tests skipped, e.g. "the REPL terminal tests". */
  what: string;
  /** Why they cannot run here, with what would fix it. */
  problem: string;
  /** Whether installing something (a package, a pinned upstream CLI) would let them run. */
  ciCanFix: boolean;
}

/**
 * True when the tests named `what` must be skipped because of `problem` (nothing or false: they
 * run); for `ignore:` in Deno.test.
 */
export function skipWhen(
  what: string,
  problem: string | false | undefined,
  ciCanFix = true,
): boolean {
  if (!problem) return false;
  const skip: Skip = { what, problem, ciCanFix };
  console.warn(`skipping ${what}: ${problem}`);
  const log = process.env.TSCODEX_SKIP_LOG;
  if (log) appendFileSync(log, JSON.stringify(skip) + "\n");
  return true;
}
