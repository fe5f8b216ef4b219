// The HTML report opened in headless Chromium (the Debian package): its rendered DOM and a
// screenshot. The test checks the page with it, and scripts/provider-report-screenshot.ts makes the
// image in docs/CONFORMANCE.md with it.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type Exit, runProcess } from "../scenario_run.ts";

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--hide-scrollbars",
];

/** Runs chromium on `page` with a fresh profile, which is removed afterwards. */
async function chromium(page: string, args: string[]): Promise<Exit> {
  const profile = await mkdtemp(join(tmpdir(), "tscodex-chromium-"));
  try {
    const run = await runProcess(
      ["chromium", ...FLAGS, `--user-data-dir=${profile}`, ...args, pathToFileURL(page).href],
      { cwd: profile, env: { PATH: "/usr/bin:/bin", HOME: profile }, timeoutMs: 120_000 },
    );
    if (run.code !== 0) {
      throw new Error(`chromium exited ${run.code ?? "(killed at its deadline)"}: ${run.stderr}`);
    }
    return run;
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}

/** The page's DOM after Chromium loaded and laid it out. */
export async function renderedDom(page: string): Promise<string> {
  return (await chromium(page, ["--dump-dom"])).stdout;
}

export async function screenshot(page: string, png: string, width = 1200, height = 1500) {
  await chromium(page, [`--window-size=${width},${height}`, `--screenshot=${png}`]);
}
