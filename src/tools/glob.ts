// Glob patterns as ripgrep's `--glob` reads them (gitignore style), for searching without rg:
// `*` and `?` stay within one path segment, `**` crosses segments, `[...]` and `{a,b}` work, a
// pattern without `/` matches the file name at any depth, and a leading `!` excludes.

export interface Glob {
  negated: boolean;
  matches(relativePath: string): boolean;
}

function escape(char: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(char) ? `\\${char}` : char;
}

function toRegExpSource(pattern: string): string {
  let out = "";
  let braces = 0;
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === "*") {
      if (pattern[i + 1] === "*") {
        const slash = pattern[i + 2] === "/";
        out += slash ? "(?:.*/)?" : ".*";
        i += slash ? 2 : 1;
      } else {
        out += "[^/]*";
      }
    } else if (char === "?") {
      out += "[^/]";
    } else if (char === "[") {
      const end = pattern.indexOf("]", i + 2);
      if (end === -1) {
        out += "\\[";
        continue;
      }
      let body = pattern.slice(i + 1, end);
      if (body.startsWith("!")) body = "^" + body.slice(1);
      out += `[${body.replaceAll("\\", "\\\\")}]`;
      i = end;
    } else if (char === "{") {
      braces++;
      out += "(?:";
    } else if (char === "}" && braces > 0) {
      braces--;
      out += ")";
    } else if (char === "," && braces > 0) {
      out += "|";
    } else if (char === "\\" && i + 1 < pattern.length) {
      out += escape(pattern[++i]);
    } else {
      out += escape(char);
    }
  }
  return out;
}

export function compileGlob(pattern: string): Glob {
  const negated = pattern.startsWith("!");
  let body = negated ? pattern.slice(1) : pattern;
  const anchored = body.includes("/");
  if (body.startsWith("/")) body = body.slice(1);
  const regex = new RegExp(`^${toRegExpSource(body)}$`);
  return {
    negated,
    matches(relativePath: string): boolean {
      const subject = anchored
        ? relativePath
        : relativePath.slice(relativePath.lastIndexOf("/") + 1);
      return regex.test(subject);
    },
  };
}
