// read_file: numbered lines of a local file, either a plain slice or the indentation block
// around an anchor line (its enclosing levels, optionally its siblings and header comments).
// Errors and limits follow upstream's experimental read_file tool.
import { isAbsolute } from "node:path";
import { z } from "zod";
import { describeFsError } from "./fs_errors.ts";
import { defineFunctionTool, type ToolDef } from "./registry.ts";
import { clipToBytes } from "./truncate.ts";
import { readRegularFile } from "./regular_file.ts";

/** Longest line returned, in UTF-8 bytes; longer lines are cut on a character boundary. */
const MAX_LINE_BYTES = 500;
const TAB_WIDTH = 4;
const COMMENT_PREFIXES = ["#", "//", "--"];

const DESCRIPTION = "Read a local file as numbered lines (`L<n>: text`). In slice mode it " +
  "returns `limit` lines from `offset`; in indentation mode it returns the code block around " +
  "an anchor line, widening to enclosing blocks as asked.";

const count = z.number().int().nonnegative();

const IndentationArgs = z.object({
  anchor_line: count.optional().describe("Line to centre the block on; defaults to offset."),
  max_levels: count.default(0).describe(
    "How many enclosing indentation levels to include; 0 includes all of them.",
  ),
  include_siblings: z.boolean().default(false).describe(
    "Also include neighbouring blocks at the anchor block's level.",
  ),
  include_header: z.boolean().default(true).describe(
    "Include comment lines directly above the block.",
  ),
  max_lines: count.optional().describe("Most lines to return in indentation mode."),
});

const ReadFileArgs = z.object({
  file_path: z.string().describe("Absolute path of the file."),
  offset: count.default(1).describe("First line to return, counting from 1."),
  limit: count.default(2000).describe("Most lines to return."),
  mode: z.enum(["slice", "indentation"]).default("slice").describe(
    'Either "slice" (a range of lines, the default) or "indentation" (the block around an ' +
      "anchor line).",
  ),
  indentation: IndentationArgs.optional(),
});

type IndentationOptions = z.infer<typeof IndentationArgs>;

/** Thrown for a bad request; the message is the model-facing reply. */
class ReadFileError extends Error {}

interface Line {
  number: number;
  raw: string;
  display: string;
  indent: number;
}

function measureIndent(text: string): number {
  let width = 0;
  for (const char of text) {
    if (char === " ") width += 1;
    else if (char === "\t") width += TAB_WIDTH;
    else break;
  }
  return width;
}

function isBlank(line: Line): boolean {
  return line.raw.trim() === "";
}

function isComment(line: Line): boolean {
  const text = line.raw.trim();
  return COMMENT_PREFIXES.some((prefix) => text.startsWith(prefix));
}

async function readLines(path: string): Promise<Line[]> {
  let bytes: Uint8Array;
  try {
    bytes = await readRegularFile(path);
  } catch (err) {
    throw new ReadFileError(`failed to read file: ${describeFsError(err)}`);
  }
  // Invalid UTF-8 shows as U+FFFD rather than failing the read, as upstream does.
  const text = new TextDecoder().decode(bytes);
  if (text === "") return [];
  const parts = text.split("\n");
  if (parts[parts.length - 1] === "") parts.pop();
  return parts.map((part, index) => {
    const raw = part.endsWith("\r") ? part.slice(0, -1) : part;
    return {
      number: index + 1,
      raw,
      display: clipToBytes(raw, MAX_LINE_BYTES),
      indent: measureIndent(raw),
    };
  });
}

function render(lines: Line[]): string {
  return lines.map((line) => `L${line.number}: ${line.display}`).join("\n");
}

function readSlice(lines: Line[], offset: number, limit: number): string {
  if (offset > lines.length) throw new ReadFileError("offset exceeds file length");
  return render(lines.slice(offset - 1, offset - 1 + limit));
}

/** Blank lines take the indentation of the line above them, so they never end a block early. */
function effectiveIndents(lines: Line[]): number[] {
  let previous = 0;
  return lines.map((line) => isBlank(line) ? previous : (previous = line.indent));
}

/**
 * Grows a block outwards from the anchor, one line up and one line down per round, while lines
 * stay at or deeper than the lowest level allowed. At that lowest level only one line is taken
 * in each direction (the block's opening and closing lines) unless siblings are wanted, though
 * header comments above the opening line are still taken.
 */
function readIndentationBlock(
  lines: Line[],
  offset: number,
  limit: number,
  options: IndentationOptions,
): string {
  const anchorLine = options.anchor_line ?? offset;
  if (anchorLine === 0) throw new ReadFileError("anchor_line must be a 1-indexed line number");
  const guard = options.max_lines ?? limit;
  if (guard === 0) throw new ReadFileError("max_lines must be greater than zero");
  if (lines.length === 0 || anchorLine > lines.length) {
    throw new ReadFileError("anchor_line exceeds file length");
  }
  const anchor = anchorLine - 1;
  const indents = effectiveIndents(lines);
  const floor = options.max_levels === 0
    ? 0
    : Math.max(0, indents[anchor] - options.max_levels * TAB_WIDTH);
  const finalLimit = Math.min(limit, guard, lines.length);
  if (finalLimit === 1) return render([lines[anchor]]);

  const block: Line[] = [lines[anchor]];
  let up = anchor - 1;
  let down = anchor + 1;
  let upAtFloor = 0;
  let downAtFloor = 0;
  while (block.length < finalLimit) {
    let progressed = false;
    if (up >= 0) {
      if (indents[up] < floor) {
        up = -1;
      } else if (
        indents[up] === floor && !options.include_siblings &&
        !(options.include_header && isComment(lines[up])) && upAtFloor > 0
      ) {
        up = -1;
      } else {
        if (indents[up] === floor && !options.include_siblings) upAtFloor++;
        block.unshift(lines[up--]);
        progressed = true;
        if (block.length >= finalLimit) break;
      }
    }
    if (down < lines.length) {
      if (indents[down] < floor) {
        down = lines.length;
      } else if (indents[down] === floor && !options.include_siblings && downAtFloor > 0) {
        down = lines.length;
      } else {
        if (indents[down] === floor && !options.include_siblings) downAtFloor++;
        block.push(lines[down++]);
        progressed = true;
      }
    }
    if (!progressed) break;
  }
  while (block.length > 0 && isBlank(block[0])) block.shift();
  while (block.length > 0 && isBlank(block[block.length - 1])) block.pop();
  return render(block);
}

export function readFileTool(): ToolDef {
  return defineFunctionTool({
    kind: "function",
    name: "read_file",
    description: DESCRIPTION,
    parameters: ReadFileArgs,
    parallel: true,
    async execute(args) {
      if (args.offset === 0) return "offset must be a 1-indexed line number";
      if (args.limit === 0) return "limit must be greater than zero";
      if (!isAbsolute(args.file_path)) return "file_path must be an absolute path";
      try {
        const lines = await readLines(args.file_path);
        return args.mode === "slice"
          ? readSlice(lines, args.offset, args.limit)
          : readIndentationBlock(
            lines,
            args.offset,
            args.limit,
            args.indentation ?? IndentationArgs.parse({}),
          );
      } catch (err) {
        if (err instanceof ReadFileError) return err.message;
        throw err;
      }
    },
  });
}
