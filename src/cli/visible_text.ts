// Text the model wrote, made safe to put in front of the user on a terminal: a character the
// terminal would act on (move the cursor, erase, restyle, set the clipboard or title, reorder
// what follows) is spelled out instead, so what is shown is what was written.

/**
 * Characters a terminal acts on rather than shows (C0 and C1 controls but tab, DEL, and the marks
 * and overrides that reorder text), which the model could use to make a question show a command
 * other than the one that would run; line breaks are left to the caller.
 */
const HIDDEN =
  // deno-lint-ignore no-control-regex
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** `text` as the user must see it: each hidden character spelled out (`\x1b`, `\r`, `\u202e`). */
export function visibleText(text: string): string {
  return text.replace(HIDDEN, (char) => {
    if (char === "\r") return "\\r";
    const code = char.charCodeAt(0);
    return code < 0x100
      ? `\\x${code.toString(16).padStart(2, "0")}`
      : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}
