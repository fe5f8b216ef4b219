import assert from "node:assert/strict";
import { approxTokenCount, countLines, truncateMiddle, truncateText } from "./truncate.ts";

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
