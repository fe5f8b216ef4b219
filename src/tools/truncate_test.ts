import assert from "node:assert/strict";
import {
  approxTokenCount,
  budgetUsed,
  countLines,
  truncateBytes,
  truncateMiddle,
  truncateText,
  truncateToBudget,
} from "./truncate.ts";

Deno.test("truncateText: unchanged within the budget, marker from one byte over", () => {
  assert.equal(truncateText("abcdefgh", 2), "abcdefgh");
  assert.equal(truncateText("abcdefghi", 2), "abcd…1 tokens truncated…fghi");
  assert.equal(truncateText("", 0), "");
  assert.equal(truncateText("abcdef", 0), "…2 tokens truncated…");
});

Deno.test("truncateText: cuts on character boundaries, counting the overflow", () => {
  // Upstream's own example: a 4-byte emoji straddling a cut is dropped, not split.
  const text = "😀😀😀😀😀😀😀😀😀😀\nsecond line with text\n";
  assert.equal(truncateText(text, 8), "😀😀😀😀…8 tokens truncated… line with text\n");
  assert.ok(!truncateText("é".repeat(50), 3).includes("\uFFFD"));
});

Deno.test("truncateMiddle: exec output as upstream 0.115.0 returned `seq 1 30000` at 50 tokens", () => {
  const output = Array.from({ length: 30000 }, (_, i) => `${i + 1}\n`).join("");
  const truncated = truncateMiddle(output, 50);
  const head = output.slice(0, 100);
  const tail = output.slice(-100);
  assert.equal(truncated, `Total output lines: 30000\n\n${head}…42174 tokens truncated…${tail}`);
  assert.equal(truncateMiddle("short\n", 50), "short\n");
});

Deno.test("countLines and approxTokenCount follow upstream's counting", () => {
  assert.deepEqual(["", "a", "a\n", "a\nb", "a\nb\n", "\n\n"].map(countLines), [0, 1, 1, 2, 2, 2]);
  assert.deepEqual(["", "abc", "abcd", "abcde", "é"].map(approxTokenCount), [0, 1, 1, 2, 1]);
});

Deno.test("truncateBytes: half head, half tail, the characters left out counted", () => {
  assert.equal(truncateBytes("abcdef", 6), "abcdef");
  assert.equal(truncateBytes("abcdefghij", 4), "ab…6 chars truncated…ij");
  // Two-byte characters: a cut never splits one, and the count is in characters, not bytes.
  assert.equal(truncateBytes("é".repeat(10), 9), "éé…6 chars truncated…éé");
  // Upstream 0.115.0, gpt-5.2 (bytes 10 000 × 1.2): 40 194 chars of exec output kept as
  // 6 000 + 6 000 with `…28194 chars truncated…` between.
  const long = "x".repeat(40_194);
  assert.equal(
    truncateBytes(long, 12_000),
    `${"x".repeat(6_000)}…28194 chars truncated…${"x".repeat(6_000)}`,
  );
});

Deno.test("truncateToBudget and budgetUsed follow the budget's unit", () => {
  const text = "y".repeat(100);
  assert.equal(budgetUsed(text, { mode: "bytes", limit: 0 }), 100);
  assert.equal(budgetUsed(text, { mode: "tokens", limit: 0 }), 25);
  assert.match(truncateToBudget(text, { mode: "bytes", limit: 10 }), /…90 chars truncated…/);
  assert.match(truncateToBudget(text, { mode: "tokens", limit: 10 }), /…15 tokens truncated…/);
});
