// exitAfterOutput keeps what a slow reader has not taken yet: run under Bun (the compiled binary's
// runtime), where exit() used to cut a large `--json` line at 64 KiB.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { within } from "../testing/mod.ts";

const BUN = fileURLToPath(new URL("../../node_modules/.bin/bun", import.meta.url));
const CHILD = fileURLToPath(new URL("./testdata/big_output_child.ts", import.meta.url));

Deno.test({
  name: "exitAfterOutput: a reader that starts late still gets all of stdout",
  ignore: !existsSync(BUN),
  async fn() {
    const child = spawn(BUN, ["run", CHILD], { stdio: ["ignore", "pipe", "pipe"] });
    const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
    // Nothing is read from stdout until the child has written everything and is exiting.
    child.stdout.pause();
    await within(
      new Promise<void>((resolve) =>
        child.stderr.on("data", (c) => String(c).includes("written") && resolve())
      ),
      "the child to finish writing",
    );
    let bytes = 0;
    child.stdout.on("data", (chunk: Uint8Array) => (bytes += chunk.length));
    child.stdout.resume();
    assert.equal(await within(exited, "the child to exit"), 0);
    assert.equal(bytes, 1_000_001);
  },
});
