// Reports of a conformance run: a Markdown table (one row per scenario, one column per category,
// then the differences themselves) or the same data as JSON.
import { CATEGORIES, type Category } from "./canonical.ts";
import { type Difference, MISSING } from "./diff.ts";

export interface ScenarioResult {
  scenario: string;
  /** Set when the scenario could not be compared at all (no fixture, the run crashed, …). */
  error?: string;
  /** Categories in which upstream recorded at least one field. */
  compared: Category[];
  differences: Difference[];
}

export interface Report {
  upstream: string;
  subject: string;
  results: ScenarioResult[];
}

export function passed(result: ScenarioResult): boolean {
  return !result.error && result.differences.length === 0;
}

/** Human-sized rendering of a value for a table cell. */
export function preview(value: unknown, max = 160): string {
  const text = value === MISSING ? MISSING : JSON.stringify(value) ?? "undefined";
  const flat = text.replace(/\|/g, "\\|");
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/**
 * For two lists, the edits that turn upstream's into ours (a longest-common-subsequence diff):
 * `−x@3` is upstream's item 3 that ours lacks, `+y@3` an item ours has there instead.
 */
export function listDelta(expected: unknown, actual: unknown): string | undefined {
  if (!Array.isArray(expected) || !Array.isArray(actual)) return undefined;
  const a = expected.map((v) => JSON.stringify(v));
  const b = actual.map((v) => JSON.stringify(v));
  // lcs[i][j]: length of the longest common subsequence of a[i..] and b[j..].
  const lcs = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const edits: string[] = [];
  let [i, j] = [0, 0];
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) [i, j] = [i + 1, j + 1];
    else if (j < b.length && (i === a.length || lcs[i][j + 1] >= lcs[i + 1][j])) {
      edits.push(`+${preview(actual[j++], 60)}@${i}`);
    } else edits.push(`−${preview(expected[i++], 60)}@${i - 1}`);
  }
  const shown = 8;
  return edits.length > shown
    ? `${edits.slice(0, shown).join(" ")} … ${edits.length - shown} more`
    : edits.join(" ");
}

function cell(result: ScenarioResult, category: Category): string {
  if (result.error) return "";
  const count = result.differences.filter((d) => d.category === category).length;
  if (count) return `✗ ${count}`;
  return result.compared.includes(category) ? "✓" : "·";
}

export function renderMarkdown(report: Report, detailsPerCategory = 3): string {
  const ok = report.results.filter(passed).length;
  const lines = [
    `# Conformance: ${report.subject} vs upstream ${report.upstream}`,
    "",
    `${ok} of ${report.results.length} scenarios match. ✓ same, ✗ N differences, · nothing recorded.`,
    "In the differences, lists show the edits from upstream's to ours: `−x@i` is upstream's item i " +
    "that ours lacks, `+y@i` an item ours has there instead.",
    "",
    `| scenario | ${CATEGORIES.join(" | ")} |`,
    `|---|${CATEGORIES.map(() => "---").join("|")}|`,
  ];
  for (const result of report.results) {
    const cells = result.error
      ? [`error: ${result.error.replace(/\|/g, "\\|")}`, ...CATEGORIES.slice(1).map(() => "")]
      : CATEGORIES.map((c) => cell(result, c));
    lines.push(`| ${result.scenario} | ${cells.join(" | ")} |`);
  }
  const failing = report.results.filter((r) => !passed(r) && !r.error);
  if (failing.length) lines.push("", "## Differences", "");
  for (const result of failing) {
    lines.push(
      `### ${result.scenario}`,
      "",
      "| category | field | upstream | ours |",
      "|---|---|---|---|",
    );
    for (const category of CATEGORIES) {
      const diffs = result.differences.filter((d) => d.category === category);
      for (const d of diffs.slice(0, detailsPerCategory)) {
        const ours = listDelta(d.expected, d.actual) ?? preview(d.actual);
        lines.push(`| ${category} | ${d.field} | ${preview(d.expected)} | ${ours} |`);
      }
      if (diffs.length > detailsPerCategory) {
        lines.push(`| ${category} | … ${diffs.length - detailsPerCategory} more | | |`);
      }
    }
    lines.push("");
  }
  return lines.join("\n") + "\n";
}

export function renderJson(report: Report): string {
  return JSON.stringify(
    {
      ...report,
      summary: {
        scenarios: report.results.length,
        passed: report.results.filter(passed).length,
        differences: report.results.reduce((n, r) => n + r.differences.length, 0),
      },
    },
    null,
    2,
  ) + "\n";
}
