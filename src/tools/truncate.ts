// Output budgets in tokens, approximated as 4 bytes of UTF-8 per token (as upstream does).

const BYTES_PER_TOKEN = 4;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function approxTokenCount(text: string): number {
  return Math.ceil(encoder.encode(text).length / BYTES_PER_TOKEN);
}

/** Keeps the head and the tail of `text` within `maxTokens`, with a marker for what was cut. */
export function truncateMiddle(text: string, maxTokens: number): string {
  const bytes = encoder.encode(text);
  const budget = maxTokens * BYTES_PER_TOKEN;
  if (bytes.length <= budget) return text;
  const half = Math.floor(budget / 2);
  // A cut inside a multi-byte character would leave U+FFFD; the decoder drops partial bytes at
  // the edges once we trim to a boundary.
  let headEnd = half;
  while (headEnd > 0 && (bytes[headEnd] & 0xc0) === 0x80) headEnd--;
  let tailStart = bytes.length - half;
  while (tailStart < bytes.length && (bytes[tailStart] & 0xc0) === 0x80) tailStart++;
  const removedTokens = Math.ceil((tailStart - headEnd) / BYTES_PER_TOKEN);
  const totalLines = text.split("\n").length;
  return `Total output lines: ${totalLines}\n\n` + decoder.decode(bytes.subarray(0, headEnd)) +
    `…${removedTokens} tokens truncated…` + decoder.decode(bytes.subarray(tailStart));
}
