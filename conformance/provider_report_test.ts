// The report card's three forms, and the HTML page as headless Chromium renders it.
import assert from "node:assert/strict";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CHECKS } from "./grade.ts";
import type { ProviderCard } from "./provider.ts";
import {
  PROVIDER_REPORT_SCHEMA,
  renderProviderHtml,
  renderProviderJson,
  renderProviderMarkdown,
} from "./provider_report.ts";
import { gradeReference } from "./testdata/recorded.ts";
import { renderedDom, screenshot } from "./testdata/report_page.ts";

type Json = Record<string, unknown>;

/** A card with one defect: the streamed text's done event disagrees with its deltas. */
function card(): Promise<ProviderCard> {
  return gradeReference({
    defect: (answer, request) => {
      const done = (answer.events as Json[] | undefined)?.find((e) =>
        e.type === "response.output_text.done"
      );
      if (done && request?.input === "Say hello.") done.text = "<b>not</b> what was streamed";
      return answer;
    },
  });
}

Deno.test("report: the JSON follows schema 1: target, summary per check, results with evidence", async () => {
  const report = JSON.parse(renderProviderJson(await card()));
  assert.equal(report.schema, PROVIDER_REPORT_SCHEMA);
  assert.deepEqual(Object.keys(report), [
    "schema",
    "target",
    "started_at",
    "duration_ms",
    "summary",
    "results",
  ]);
  assert.equal(report.summary.requests, 14);
  assert.equal(report.summary.failed, 1);
  const doneText = report.summary.checks.find((c: Json) => c.name === "done-text");
  assert.deepEqual(doneText, {
    name: "done-text",
    rule: CHECKS["done-text"],
    passed: 10,
    failed: 1,
  });
  const failing = report.results.find((r: Json) => !r.passed);
  assert.equal(failing.id, "spec/string-input");
  assert.deepEqual(Object.keys(failing), [
    "id",
    "source",
    "about",
    "method",
    "path",
    "expect",
    "status",
    "ttfb_ms",
    "total_ms",
    "passed",
    "checks",
    "request",
  ]);
  const check = failing.checks.find((c: Json) => !c.ok);
  assert.equal(check.name, "done-text");
  assert.equal(check.evidence[0].value.type, "response.output_text.done");
  assert.equal(typeof check.evidence[0].index, "number");
  assert.ok(failing.ttfb_ms <= failing.total_ms);
});

Deno.test("report: Markdown lists every check and the failing request's rule", async () => {
  const md = renderProviderMarkdown(await card());
  assert.match(md, /13 of 14 requests pass every check/);
  assert.match(md, /\| done-text \| 10 \| 1 \|/);
  assert.match(md, /\| spec\/string-input \| 200 \| \d+ ms \| \d+ ms \| done-text: /);
});

Deno.test("report: the HTML page is self-contained and renders in headless Chromium", async () => {
  const html = renderProviderHtml(await card());
  assert.doesNotMatch(html, /<script|<link|\bsrc=|url\(|@import/i, "nothing loaded from anywhere");
  assert.doesNotMatch(html, /<b>not<\/b>/, "provider text is escaped");
  const dir = await mkdtemp(join(tmpdir(), "tscodex-report-"));
  const page = join(dir, "report.html");
  await writeFile(page, html);

  const dom = await renderedDom(page);
  assert.match(dom, /<h1>Provider report card<\/h1>/);
  assert.match(dom, /13 of 14<\/span> requests pass every check/);
  assert.match(dom, /<details open="" id="spec\/string-input">/);
  assert.match(dom, /✗ done-text<\/span> — response\.output_text\.done at output_index 1 differs/);
  assert.match(dom, /Rule: Each \.done event/);
  assert.match(dom, /Offending event #\d+:/);
  assert.match(dom, /&lt;b&gt;not&lt;\/b&gt; what was streamed/);

  const png = join(dir, "report.png");
  await screenshot(page, png, 1000, 800);
  const image = await readFile(png);
  assert.equal(image.subarray(1, 4).toString("latin1"), "PNG");
  assert.deepEqual([image.readUInt32BE(16), image.readUInt32BE(20)], [1000, 800]);
  // A blank page of that size compresses to a few kilobytes; text and tables do not.
  assert.ok(image.length > 20_000, `screenshot is ${image.length} bytes`);
});
