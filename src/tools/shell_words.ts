// Shell words for display and for wrapping commands: the quoting rules of the Rust `shlex` crate,
// which upstream uses to print `Command:` lines, so ours read byte for byte the same.

// Bytes that may appear in a word without quotes.
const UNQUOTED = /^[+\-./:@\]_0-9A-Za-z]$/;

type Strategy = "unquoted" | "single" | "double";

/** Quotes one word for a POSIX shell, choosing per run of characters like Rust's `shlex`. */
export function shellQuote(word: string): string {
  if (word === "") return "''";
  const bytes = new TextEncoder().encode(word);
  let out = "";
  let start = 0;
  while (start < bytes.length) {
    const [end, strategy] = quotingRun(bytes, start);
    const chunk = new TextDecoder().decode(bytes.subarray(start, end));
    if (strategy === "unquoted") out += chunk;
    else if (strategy === "single") out += `'${chunk}'`;
    else out += `"${chunk.replace(/["\\]/g, "\\$&")}"`;
    start = end;
  }
  return out;
}

/** `shellQuote` each word, space separated: the display form of an argv. */
export function shellJoin(argv: string[]): string {
  return argv.map(shellQuote).join(" ");
}

const UNQUOTED_OK = 1;
const SINGLE_OK = 2;
const DOUBLE_OK = 4;

function quotingRun(bytes: Uint8Array, start: number): [number, Strategy] {
  let ok = UNQUOTED_OK | SINGLE_OK | DOUBLE_OK;
  let i = start;
  // `^` right after an opening single quote is the only safe place for it in every shell.
  if (bytes[i] === 0x5e) {
    ok = SINGLE_OK;
    i++;
  }
  for (; i < bytes.length; i++) {
    const c = bytes[i];
    let next = ok;
    if (c >= 0x80) next &= ~UNQUOTED_OK;
    else {
      const ch = String.fromCharCode(c);
      if (!UNQUOTED.test(ch)) next &= ~UNQUOTED_OK;
      if (ch === "'" || ch === "^" || ch === "\\") next &= ~SINGLE_OK;
      if (ch === "`" || ch === "$" || ch === "!" || ch === "^") next &= ~DOUBLE_OK;
    }
    if (next === 0) break;
    ok = next;
  }
  const strategy: Strategy = ok & UNQUOTED_OK ? "unquoted" : ok & SINGLE_OK ? "single" : "double";
  return [i, strategy];
}
