// The apply_patch format: `*** Begin Patch`, then Add / Delete / Update File sections (an update
// may carry `*** Move to:` and `@@` chunks of context, removed and added lines, optionally closed
// by `*** End of File`), then `*** End Patch`. Parsing is as lenient as upstream's (markers may be
// padded with whitespace, a heredoc wrapper is stripped, the first chunk may omit its `@@`) and
// the error texts are upstream's, since models are trained to read and correct them.

const BEGIN_PATCH = "*** Begin Patch";
const END_PATCH = "*** End Patch";
const ADD_FILE = "*** Add File: ";
const DELETE_FILE = "*** Delete File: ";
const UPDATE_FILE = "*** Update File: ";
const MOVE_TO = "*** Move to: ";
const END_OF_FILE = "*** End of File";
const HEREDOC_OPENERS = new Set(["<<EOF", "<<'EOF'", '<<"EOF"']);

export interface UpdateChunk {
  /** A line (usually a declaration) the chunk's lines must follow. */
  context?: string;
  oldLines: string[];
  newLines: string[];
  /** The old lines must be the last lines of the file. */
  endOfFile: boolean;
}

export type Hunk =
  | { kind: "add"; path: string; contents: string }
  | { kind: "delete"; path: string }
  | { kind: "update"; path: string; moveTo?: string; chunks: UpdateChunk[] };

export class PatchParseError extends Error {
  constructor(message: string, readonly lineNumber?: number) {
    super(
      lineNumber === undefined
        ? `invalid patch: ${message}`
        : `invalid hunk at line ${lineNumber}, ${message}`,
    );
    this.name = "PatchParseError";
  }
}

/** Lines as Rust's `str::lines` yields them: split on LF, a trailing CR dropped from each. */
function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines.map((line) => line.endsWith("\r") ? line.slice(0, -1) : line);
}

function checkBoundaries(lines: string[]): string[] {
  const first = lines[0]?.trim();
  const last = lines[lines.length - 1]?.trim();
  if (first === BEGIN_PATCH && last === END_PATCH && lines.length >= 2) return lines.slice(1, -1);
  if (first !== undefined && first !== BEGIN_PATCH) {
    throw new PatchParseError("The first line of the patch must be '*** Begin Patch'");
  }
  throw new PatchParseError("The last line of the patch must be '*** End Patch'");
}

/** The body between the markers, unwrapping `<<'EOF' … EOF` that models sometimes add. */
function patchBody(lines: string[]): string[] {
  try {
    return checkBoundaries(lines);
  } catch (err) {
    const first = lines[0];
    const last = lines[lines.length - 1];
    if (lines.length >= 4 && HEREDOC_OPENERS.has(first) && last.endsWith("EOF")) {
      return checkBoundaries(lines.slice(1, -1));
    }
    throw err;
  }
}

/** Parses the chunk starting at `lines[at]`; returns it with the number of lines it used. */
function parseChunk(
  lines: string[],
  at: number,
  lineNumber: number,
  allowMissingContext: boolean,
): [UpdateChunk, number] {
  const first = lines[at];
  let context: string | undefined;
  let start = 0;
  if (first === "@@") {
    start = 1;
  } else if (first.startsWith("@@ ")) {
    context = first.slice(3);
    start = 1;
  } else if (!allowMissingContext) {
    throw new PatchParseError(
      `Expected update hunk to start with a @@ context marker, got: '${first}'`,
      lineNumber,
    );
  }
  if (at + start >= lines.length) {
    throw new PatchParseError("Update hunk does not contain any lines", lineNumber + 1);
  }
  const chunk: UpdateChunk = { context, oldLines: [], newLines: [], endOfFile: false };
  let parsed = 0;
  for (let i = at + start; i < lines.length; i++) {
    const line = lines[i];
    if (line === END_OF_FILE) {
      if (parsed === 0) {
        throw new PatchParseError("Update hunk does not contain any lines", lineNumber + 1);
      }
      chunk.endOfFile = true;
      parsed++;
      break;
    }
    const marker = line[0];
    if (marker === undefined) {
      // A bare empty line is an empty context line (editors strip the lone space).
      chunk.oldLines.push("");
      chunk.newLines.push("");
    } else if (marker === " ") {
      chunk.oldLines.push(line.slice(1));
      chunk.newLines.push(line.slice(1));
    } else if (marker === "+") {
      chunk.newLines.push(line.slice(1));
    } else if (marker === "-") {
      chunk.oldLines.push(line.slice(1));
    } else {
      if (parsed === 0) {
        throw new PatchParseError(
          `Unexpected line found in update hunk: '${line}'. Every line should start with ' ' ` +
            "(context line), '+' (added line), or '-' (removed line)",
          lineNumber + 1,
        );
      }
      break; // the start of the next chunk
    }
    parsed++;
  }
  return [chunk, parsed + start];
}

/** Parses the hunk starting at `lines[at]`; returns it with the number of lines it used. */
function parseHunk(lines: string[], at: number, lineNumber: number): [Hunk, number] {
  const header = lines[at].trim();
  if (header.startsWith(ADD_FILE)) {
    let contents = "";
    let count = 1;
    while (at + count < lines.length && lines[at + count].startsWith("+")) {
      contents += lines[at + count].slice(1) + "\n";
      count++;
    }
    return [{ kind: "add", path: header.slice(ADD_FILE.length), contents }, count];
  }
  if (header.startsWith(DELETE_FILE)) {
    return [{ kind: "delete", path: header.slice(DELETE_FILE.length) }, 1];
  }
  if (header.startsWith(UPDATE_FILE)) {
    const path = header.slice(UPDATE_FILE.length);
    let count = 1;
    let moveTo: string | undefined;
    if (lines[at + 1]?.startsWith(MOVE_TO)) {
      moveTo = lines[at + 1].slice(MOVE_TO.length);
      count++;
    }
    const chunks: UpdateChunk[] = [];
    while (at + count < lines.length) {
      const line = lines[at + count];
      if (line.trim() === "") {
        count++;
        continue;
      }
      if (line.startsWith("*")) break;
      const [chunk, used] = parseChunk(lines, at + count, lineNumber + count, chunks.length === 0);
      chunks.push(chunk);
      count += used;
    }
    if (chunks.length === 0) {
      throw new PatchParseError(`Update file hunk for path '${path}' is empty`, lineNumber);
    }
    return [{ kind: "update", path, moveTo, chunks }, count];
  }
  throw new PatchParseError(
    `'${header}' is not a valid hunk header. Valid hunk headers: '*** Add File: {path}', ` +
      "'*** Delete File: {path}', '*** Update File: {path}'",
    lineNumber,
  );
}

/** Parses a whole patch; throws PatchParseError with upstream's wording on malformed input. */
export function parsePatch(text: string): Hunk[] {
  const body = patchBody(splitLines(text.trim()));
  const hunks: Hunk[] = [];
  for (let at = 0; at < body.length;) {
    const [hunk, used] = parseHunk(body, at, at + 2);
    hunks.push(hunk);
    at += used;
  }
  return hunks;
}
