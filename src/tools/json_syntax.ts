// Where and why a JSON text is malformed, worded as serde_json words it (upstream parses tool
// arguments with serde), so a model sees the same error whichever client it talks to.

export class JsonSyntaxError extends Error {
  constructor(reason: string, readonly line: number, readonly column: number) {
    super(`${reason} at line ${line} column ${column}`);
    this.name = "JsonSyntaxError";
  }
}

/** Throws a JsonSyntaxError for the first problem in `text`; returns silently when it is valid. */
export function checkJsonSyntax(text: string): void {
  let i = 0;
  const fail = (reason: string, at = i): never => {
    const before = text.slice(0, at + 1).split("\n");
    throw new JsonSyntaxError(reason, before.length, before.at(-1)!.length);
  };
  const eof = (what: string): never => {
    const lines = text.split("\n");
    throw new JsonSyntaxError(`EOF while parsing ${what}`, lines.length, lines.at(-1)!.length);
  };
  const space = () => {
    while (i < text.length && " \t\n\r".includes(text[i])) i++;
  };
  const literal = (word: string) => {
    for (const ch of word) {
      if (i >= text.length) eof("a value");
      if (text[i] !== ch) fail("expected ident");
      i++;
    }
  };
  const string = () => {
    i++; // the opening quote
    for (;;) {
      if (i >= text.length) eof("a string");
      const ch = text[i];
      if (ch === '"') return void i++;
      if (ch < " ") fail("control character (\\u0000-\\u001F) found while parsing a string");
      if (ch === "\\") {
        i++;
        if (i >= text.length) eof("a string");
        if (text[i] === "u") {
          if (!/^[0-9a-fA-F]{4}/.test(text.slice(i + 1, i + 5))) fail("invalid escape", i + 1);
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i])) fail("invalid escape");
      }
      i++;
    }
  };
  const number = () => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!match || match[0] === "-") fail("invalid number");
    i += match![0].length;
  };
  const value = (): void => {
    space();
    if (i >= text.length) eof("a value");
    const ch = text[i];
    if (ch === "{") return container("}", "an object", true);
    if (ch === "[") return container("]", "a list", false);
    if (ch === '"') return string();
    if (ch === "-" || (ch >= "0" && ch <= "9")) return number();
    if (ch === "t") return literal("true");
    if (ch === "f") return literal("false");
    if (ch === "n") return literal("null");
    fail("expected value");
  };
  const container = (close: string, what: string, object: boolean) => {
    i++;
    space();
    if (i >= text.length) eof(what);
    if (text[i] === close) return void i++;
    for (;;) {
      if (object) {
        space();
        if (i >= text.length) eof(what);
        if (text[i] !== '"') fail("key must be a string");
        string();
        space();
        if (i >= text.length) eof(what);
        if (text[i] !== ":") fail("expected `:`");
        i++;
      }
      value();
      space();
      if (i >= text.length) eof(what);
      if (text[i] === close) return void i++;
      if (text[i] !== ",") fail(`expected \`,\` or \`${close}\``);
      i++;
      space();
      if (text[i] === close) fail("trailing comma");
    }
  };
  value();
  space();
  if (i < text.length) fail("trailing characters");
}
