// The watchdog preloaded by the test task: a hung test fails its module with a message, and the
// run goes on to the next module and ends with its count.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { within } from "./deadline.ts";
import { tempDir } from "./workspace.ts";

Deno.test("a hung test fails at the watchdog's deadline and the run goes on", async () => {
  const dir = await tempDir("watchdog-");
  await writeFile(
    join(dir, "a_test.ts"),
    // An interval keeps the event loop busy, as a live server or process would.
    'Deno.test("waits for what never comes", async () => {\n' +
      "  const busy = setInterval(() => {}, 1000);\n" +
      "  try { await new Promise(() => {}); } finally { clearInterval(busy); }\n" +
      "});\n",
  );
  await writeFile(join(dir, "b_test.ts"), 'Deno.test("still runs", () => {});\n');
  const watchdog = new URL("./watchdog.ts", import.meta.url).pathname;
  const child = spawn(
    Deno.execPath(),
    ["test", "-A", "--no-config", "--preload", watchdog, "a_test.ts", "b_test.ts"],
    { cwd: dir, env: { ...Deno.env.toObject(), TEST_DEADLINE_MS: "2000", NO_COLOR: "1" } },
  );
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  const code = await within(
    new Promise((resolve) => child.on("close", resolve)),
    "the inner test run to end",
  );
  assert.notEqual(code, 0, output);
  assert.match(output, /the test named above is still running after 2 s: it is hung/);
  assert.match(output, /still runs \.\.\. ok/);
  assert.match(output, /waits for what never comes \.\.\. cancelled/);
  assert.match(output, /FAILED \| 1 passed \| \d+ failed/);
  await Deno.remove(dir, { recursive: true });
});
