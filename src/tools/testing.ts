// What tests in other folders use from the tools' test support, and a real process applying a
// real patch, SIGKILLed at a known file.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { within } from "../testing/mod.ts";
export { sandboxMissing } from "./command_testing.ts";

export interface KillMidPatch {
  /** The workspace the patch applies in. */
  work: string;
  /** The journal folder the process uses. */
  journal: string;
  patch: string;
  /** The index of the file the process waits at, having written those before it. */
  killAt: number;
}

/** A process that applies the patch and, before file `killAt`, says "ready" and waits. */
const CHILD = (run: KillMidPatch) => `
import { applyHunks } from ${JSON.stringify(new URL("./patch_apply.ts", import.meta.url).href)};
import { parsePatch } from ${JSON.stringify(new URL("./patch_parser.ts", import.meta.url).href)};
await applyHunks(parsePatch(${JSON.stringify(run.patch)}), {
  cwd: ${JSON.stringify(run.work)},
  journalDir: ${JSON.stringify(run.journal)},
  beforeStep: async (index) => {
    if (index !== ${run.killAt}) return;
    console.log("ready");
    await new Promise(() => setInterval(() => {}, 1000));
  },
});
`;

/**
 * Runs the patch in a child process until it waits at file `killAt`, then SIGKILLs it: the
 * state a crash leaves, reached without racing a clock.
 */
export async function killMidPatch(run: KillMidPatch): Promise<void> {
  const scriptDir = mkdtempSync(join(tmpdir(), "tscodex-patch-child-"));
  const script = join(scriptDir, "child.ts");
  writeFileSync(script, CHILD(run));
  // The repository's configuration, for the npm packages the tools import.
  const config = new URL("../../deno.json", import.meta.url).pathname;
  const child = spawn(Deno.execPath(), ["run", "-A", "--quiet", "--config", config, script], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const ready = new Promise<void>((resolve) => {
    let out = "";
    child.stdout!.on("data", (chunk) => {
      out += chunk;
      if (out.includes("ready")) resolve();
    });
  });
  try {
    await within(ready, `the patching process to reach file ${run.killAt}`);
  } finally {
    child.kill("SIGKILL");
    await within(exited, "the patching process to die");
    rmSync(scriptDir, { recursive: true, force: true });
  }
}
