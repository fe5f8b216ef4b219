// Output budgets in tokens (approximated as 4 bytes of UTF-8 per token) or in bytes, as upstream
// Codex counts them. Truncation keeps the head and the tail and replaces the middle with upstream's
// marker, `…N tokens truncated…` or `…N chars truncated…`, so the model reads the same shape it
// was trained on.

const BYTES_PER_TOKEN = 4;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function approxTokenCount(text: string): number {
  return Math.ceil(encoder.encode(text).length / BYTES_PER_TOKEN);
}

/** Lines as Rust's `str::lines` counts them: a final newline does not start another line. */
export function countLines(text: string): number {
  if (text === "") return 0;
  const breaks = text.split("\n").length - 1;
  return text.endsWith("\n") ? breaks : breaks + 1;
}

/** The longest prefix of `text` within `maxBytes` of UTF-8 that does not split a character. */
export function clipToBytes(text: string, maxBytes: number): string {
  const bytes = encoder.encode(text);
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
  return decoder.decode(bytes.subarray(0, end));
}

function marker(removedBytes: number): string {
  return `…${Math.ceil(removedBytes / BYTES_PER_TOKEN)} tokens truncated…`;
}

/**
 * Keeps at most `maxTokens` worth of `text`: half the byte budget from the head, the rest from
 * the tail, cut on character boundaries (a character straddling a cut is dropped), with the
 * marker between. The count in the marker is the overflow (total minus budget), as upstream's.
 */
export function truncateText(text: string, maxTokens: number): string {
  const bytes = encoder.encode(text);
  const budget = Math.max(0, Math.floor(maxTokens)) * BYTES_PER_TOKEN;
  if (bytes.length <= budget) return text;
  if (budget === 0) return marker(bytes.length);
  const headBudget = Math.floor(budget / 2);
  let tailStart = bytes.length - (budget - headBudget);
  while (tailStart < bytes.length && (bytes[tailStart] & 0xc0) === 0x80) tailStart++;
  return clipToBytes(text, headBudget) + marker(bytes.length - budget) +
    decoder.decode(bytes.subarray(tailStart));
}

/**
 * `truncateText` for command output: when anything is cut, the reply starts with
 * `Total output lines: N` and a blank line, so the model knows how much it did not see.
 */
export function truncateMiddle(text: string, maxTokens: number): string {
  if (encoder.encode(text).length <= Math.max(0, Math.floor(maxTokens)) * BYTES_PER_TOKEN) {
    return text;
  }
  return `Total output lines: ${countLines(text)}\n\n${truncateText(text, maxTokens)}`;
}

/** A model's budget for what the history keeps of one output (its catalog truncation policy). */
export interface OutputBudget {
  mode: "tokens" | "bytes";
  limit: number;
}

/**
 * Keeps at most `maxBytes` of `text`: half from the head, half from the tail, on character
 * boundaries, with `…N chars truncated…` (N: the characters left out) between.
 */
export function truncateBytes(text: string, maxBytes: number): string {
  const bytes = encoder.encode(text);
  const budget = Math.max(0, Math.floor(maxBytes));
  if (bytes.length <= budget) return text;
  const head = clipToBytes(text, Math.floor(budget / 2));
  let tailStart = bytes.length - (budget - Math.floor(budget / 2));
  while (tailStart < bytes.length && (bytes[tailStart] & 0xc0) === 0x80) tailStart++;
  const tail = decoder.decode(bytes.subarray(tailStart));
  const removed = [...text].length - [...head].length - [...tail].length;
  return `${head}…${removed} chars truncated…${tail}`;
}

/** `text` cut to `budget` in its own unit. */
export function truncateToBudget(text: string, budget: OutputBudget): string {
  return budget.mode === "bytes"
    ? truncateBytes(text, budget.limit)
    : truncateText(text, budget.limit);
}

/** How much of `budget` `text` uses, in the budget's unit. */
export function budgetUsed(text: string, budget: OutputBudget): number {
  return budget.mode === "bytes" ? encoder.encode(text).length : approxTokenCount(text);
}
