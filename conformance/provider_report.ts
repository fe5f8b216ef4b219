// The provider report card in three forms: Markdown for a terminal or an issue, JSON with a stable
// schema for CI (documented in docs/CONFORMANCE.md), and one self-contained HTML page (no network,
// no scripts) a provider team can open and read.
import { CHECK_NAMES, type CheckName, CHECKS } from "./grade.ts";
import { passedAll, type ProviderCard, type ProviderResult } from "./provider.ts";
import { preview } from "./report.ts";

/** The version of the JSON report's layout; bumped only when a field changes meaning or goes. */
export const PROVIDER_REPORT_SCHEMA = "tscodex.provider-report/1";

export interface CheckSummary {
  name: CheckName;
  rule: string;
  passed: number;
  failed: number;
}

/** Per check, how many requests it passed and failed, in the order of CHECKS; unused ones left out. */
export function summariseChecks(card: ProviderCard): CheckSummary[] {
  return CHECK_NAMES.map((name) => {
    const all = card.results.flatMap((r) => r.checks.filter((c) => c.name === name));
    return {
      name,
      rule: CHECKS[name],
      passed: all.filter((c) => c.ok).length,
      failed: all.filter((c) => !c.ok).length,
    };
  }).filter((s) => s.passed + s.failed > 0);
}

const ms = (value: number | null) => (value === null ? "—" : `${Math.round(value)} ms`);
const round = (value: number | null) => (value === null ? null : Math.round(value * 10) / 10);

function targetLine(card: ProviderCard): string {
  const through = card.api === "responses" ? "" : ` through tscodex serve (${card.api} backend)`;
  return `${card.baseUrl}${through}${card.model ? `, model ${card.model}` : ""}`;
}

function headline(card: ProviderCard): string {
  const ok = card.results.filter(passedAll).length;
  return `${ok} of ${card.results.length} requests pass every check (Codex requests recorded ` +
    `from upstream ${card.upstream}, and the generic specification set).`;
}

export function renderProviderMarkdown(card: ProviderCard): string {
  const lines = [
    `# Provider report card: ${targetLine(card)}`,
    "",
    headline(card),
    "",
    "| check | passed | failed |",
    "|---|---|---|",
    ...summariseChecks(card).map((s) => `| ${s.name} | ${s.passed} | ${s.failed} |`),
    "",
    "| request | HTTP | first byte | total | failed checks |",
    "|---|---|---|---|---|",
  ];
  for (const r of card.results) {
    const failed = r.checks.filter((c) => !c.ok).map((c) =>
      `${c.name}: ${preview(c.detail ?? "", 160).replace(/^"|"$/g, "")}`
    );
    lines.push(
      `| ${r.id} | ${r.status || "—"} | ${ms(r.ttfbMs)} | ${ms(r.totalMs)} | ${
        failed.join("<br>") || "✓"
      } |`,
    );
  }
  return lines.join("\n") + "\n";
}

/** The JSON report; its layout is PROVIDER_REPORT_SCHEMA, described in docs/CONFORMANCE.md. */
export function providerReportObject(card: ProviderCard) {
  return {
    schema: PROVIDER_REPORT_SCHEMA,
    target: {
      base_url: card.baseUrl,
      api: card.api,
      model: card.model ?? null,
      upstream: card.upstream,
    },
    started_at: card.startedAt,
    duration_ms: Math.round(card.durationMs),
    summary: {
      requests: card.results.length,
      passed: card.results.filter(passedAll).length,
      failed: card.results.filter((r) => !passedAll(r)).length,
      checks: summariseChecks(card),
    },
    results: card.results.map((r) => ({
      id: r.id,
      source: r.source,
      about: r.about,
      method: "POST",
      path: r.path,
      expect: r.expect,
      status: r.status,
      ttfb_ms: round(r.ttfbMs),
      total_ms: round(r.totalMs),
      passed: passedAll(r),
      checks: r.checks,
      // Codex's bodies run to tens of kilobytes each: only a failing request's is kept.
      ...(passedAll(r) ? {} : { request: r.request }),
    })),
  };
}

export function renderProviderJson(card: ProviderCard): string {
  return JSON.stringify(providerReportObject(card), null, 2) + "\n";
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Pretty JSON, cut to a size a page can hold. */
function code(value: unknown, max = 20_000): string {
  let text = typeof value === "string" ? value : JSON.stringify(value, null, 2) ?? String(value);
  if (text.length > max) text = `${text.slice(0, max)}\n… ${text.length - max} more characters`;
  return `<pre>${escape(text)}</pre>`;
}

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1200px;padding:0 1em;color:#1b1f24}
h1{font-size:1.5em;margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:1px solid #d0d7de}
.lead{color:#57606a}.verdict{font-size:1.15em;margin:.8em 0}
table{border-collapse:collapse;width:100%;margin:.6em 0}
th,td{border:1px solid #d0d7de;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.num{text-align:right;white-space:nowrap}
.ok{color:#1a7f37;font-weight:600}.bad{color:#cf222e;font-weight:600}
tr.failing td:first-child{border-left:4px solid #cf222e}
details{border:1px solid #d0d7de;border-radius:6px;margin:.6em 0;padding:.4em .8em}
details>summary{cursor:pointer;font-weight:600}
.check{margin:.6em 0 .6em .4em;padding-left:.8em;border-left:3px solid #cf222e}
.rule{color:#57606a;font-style:italic}
pre{background:#f6f8fa;padding:.6em;overflow:auto;max-height:28em;font-size:12px;white-space:pre-wrap;word-break:break-all}
code{background:#f6f8fa;padding:0 .2em}`;

function failureSection(r: ProviderResult): string {
  const failed = r.checks.filter((c) => !c.ok);
  const parts = [
    `<details open id="${escape(r.id)}"><summary>${
      escape(r.id)
    } — ${failed.length} failed check(s)</summary>`,
    `<p>${escape(r.about)}. <code>POST ${escape(r.path)}</code> answered HTTP ${
      r.status || "— (no answer)"
    }; first byte ${ms(r.ttfbMs)}, total ${ms(r.totalMs)}.</p>`,
  ];
  for (const check of failed) {
    parts.push(
      `<div class="check"><p><span class="bad">✗ ${escape(check.name)}</span> — ${
        escape(check.detail ?? "")
      }</p><p class="rule">Rule: ${escape(CHECKS[check.name])}</p>`,
    );
    for (const e of check.evidence ?? []) {
      const label = e.index === undefined ? "the answer" : `event #${e.index}`;
      parts.push(`<p>Offending ${label}:</p>${code(e.value, 6_000)}`);
    }
    parts.push(`</div>`);
  }
  parts.push(`<details><summary>The request</summary>${code(r.request)}</details></details>`);
  return parts.join("\n");
}

export function renderProviderHtml(card: ProviderCard): string {
  const checks = summariseChecks(card);
  const failing = card.results.filter((r) => !passedAll(r));
  const checkRows = checks.map((s) =>
    `<tr${s.failed ? ' class="failing"' : ""}><td><b>${s.name}</b><br><span class="rule">${
      escape(s.rule)
    }</span></td><td class="num ok">${s.passed}</td><td class="num${
      s.failed ? " bad" : ""
    }">${s.failed}</td></tr>`
  );
  const requestRows = card.results.map((r) => {
    const failed = r.checks.filter((c) => !c.ok).map((c) => c.name);
    const verdict = failed.length
      ? `<span class="bad">✗ ${escape(failed.join(", "))}</span>`
      : `<span class="ok">✓ ${r.checks.length} checks</span>`;
    const name = failed.length ? `<a href="#${escape(r.id)}">${escape(r.id)}</a>` : escape(r.id);
    return `<tr${failed.length ? ' class="failing"' : ""}><td>${name}</td><td class="num">${
      r.status || "—"
    }</td><td class="num">${ms(r.ttfbMs)}</td><td class="num">${
      ms(r.totalMs)
    }</td><td>${verdict}</td></tr>`;
  });
  const ok = card.results.length - failing.length;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>Provider report card: ${escape(card.baseUrl)}</title>
<style>${STYLE}</style></head><body>
<h1>Provider report card</h1>
<p class="lead">${escape(targetLine(card))} · graded ${escape(card.startedAt)} in ${
    (card.durationMs / 1000).toFixed(1)
  } s by tscodex conformance</p>
<p class="verdict"><span class="${
    failing.length ? "bad" : "ok"
  }">${ok} of ${card.results.length}</span> ${
    escape(headline(card).replace(/^\d+ of \d+ /, ""))
  }</p>
<h2>Checks</h2>
<table><thead><tr><th>check and rule</th><th>passed</th><th>failed</th></tr></thead><tbody>
${checkRows.join("\n")}
</tbody></table>
<h2>Requests</h2>
<table><thead><tr><th>request</th><th>HTTP</th><th>first byte</th><th>total</th><th>result</th></tr></thead><tbody>
${requestRows.join("\n")}
</tbody></table>
${failing.length ? `<h2>Failures</h2>\n${failing.map(failureSection).join("\n")}` : ""}
</body></html>
`;
}
