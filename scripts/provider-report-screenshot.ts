// Makes docs/images/provider-report.png: the HTML report card of a scripted provider with two
// defects injected (a done text that disagrees with its deltas, a missing sequence number), as
// headless Chromium renders it.
// Usage: deno run -A scripts/provider-report-screenshot.ts [--out docs/images/provider-report.png]
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { renderProviderHtml } from "../conformance/mod.ts";
import { gradeReference, screenshot } from "../conformance/testing.ts";

type Json = Record<string, unknown>;

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    out: { type: "string", default: join(root, "docs", "images", "provider-report.png") },
  },
});

const card = await gradeReference({
  defect: (answer, request) => {
    const events = answer.events as Json[] | undefined;
    if (!events) return answer;
    if (request?.input === "Say hello.") {
      const done = events.find((e) => e.type === "response.output_text.done")!;
      done.text = "Hello from a different provider.";
    }
    if (Array.isArray(request?.tools) && request.tools.length === 2) {
      delete events[4].sequence_number;
    }
    return answer;
  },
});
const page = join(await mkdtemp(join(tmpdir(), "tscodex-report-")), "report.html");
await writeFile(page, renderProviderHtml(card));
await screenshot(page, values.out!, 1200, 2900);
console.error(`wrote ${values.out}`);
