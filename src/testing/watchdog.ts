// Loaded before every test module (`--preload` in deno.json's test task) so that no test can hang
// the run: a test still running after TEST_DEADLINE_MS fails its module with this error (the hung
// test is the one named just above it) and the run goes on with the next module. A test should
// still wrap what it waits for in `within` (src/testing/deadline.ts), which says what hung.

/** Far above the slowest test on a loaded machine (about a minute); the environment may lower it. */
const TEST_DEADLINE_MS = Number(Deno.env.get("TEST_DEADLINE_MS") ?? 300_000);

let watchdog: ReturnType<typeof setTimeout> | undefined;

Deno.test.beforeEach(() => {
  watchdog = setTimeout(() => {
    throw new Error(
      `the test named above is still running after ${TEST_DEADLINE_MS / 1000} s: it is hung ` +
        "(wrap what it awaits in within() from src/testing/mod.ts to see what)",
    );
  }, TEST_DEADLINE_MS);
});

Deno.test.afterEach(() => clearTimeout(watchdog));
