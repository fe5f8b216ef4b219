// exec: runs a JavaScript cell (code mode). The input is raw source, optionally opened by a
// `// @exec: {"yield_time_ms":…,"max_output_tokens":…}` pragma line. The call returns when the
// script ends, calls yield_control(), or has run for yield_time_ms; a cell still running then is
// collected later with exec_wait. Reply framing, defaults and the grammar are upstream 0.115.0's.
import { z } from "zod";
import type { ToolDef, ToolRegistry } from "../registry.ts";
import { cellReply, type CodeCells } from "./cells.ts";

/** Upstream's lark grammar for the freeform input, byte for byte (syntax, not prose). */
export const EXEC_GRAMMAR = "\nstart: pragma_source | plain_source\n" +
  "pragma_source: PRAGMA_LINE NEWLINE SOURCE\nplain_source: SOURCE\n\n" +
  "PRAGMA_LINE: /[ \\t]*\\/\\/ @exec:[^\\r\\n]*/\nNEWLINE: /\\r?\\n/\nSOURCE: /[\\s\\S]+/\n";

export const DEFAULT_CELL_YIELD_MS = 10_000;
export const DEFAULT_CELL_OUTPUT_TOKENS = 10_000;

const DESCRIPTION = [
  "Run JavaScript in a fresh, isolated cell: no files, network, timers or console of its own;",
  "everything it does outside goes through the other tools. Send plain source (no JSON, no code",
  "fences). Top-level await works. Optionally start with one line",
  '`// @exec: {"yield_time_ms": 10000, "max_output_tokens": 10000}` to choose how long to wait',
  "before returning (the script keeps running; collect it with exec_wait) and how much output to",
  "return.",
  "Inside the cell:",
  "- `await tools.<name>(args)` calls another tool (e.g. `tools.exec_command({cmd: 'ls'})`);",
  "  function tools take an object, freeform tools a string; commands come back as an object",
  "  with `output` and `exit_code` (or `session_id` while still running), other tools as text.",
  "- `text(value)` adds a text item to the reply (non-strings as JSON); `image(url)` adds an",
  "  image from an https or data: URL; `console.log` works like text.",
  "- `store(key, value)` keeps a JSON value for later cells of this session; `load(key)` reads",
  "  it back (undefined when missing).",
  "- `yield_control()` returns what was output so far right away while the script goes on.",
  "- `ALL_TOOLS` lists the callable tools as `{name, description}`.",
].join("\n");

const Pragma = z.strictObject({
  yield_time_ms: z.number().int().positive().optional(),
  max_output_tokens: z.number().int().positive().optional(),
});
type Pragma = z.infer<typeof Pragma>;

const PRAGMA_LINE = /^[ \t]*\/\/ @exec:(.*)$/;

/** The settings of the pragma line, or why it cannot be read. */
export function parsePragma(source: string): Pragma | string {
  const match = PRAGMA_LINE.exec(source.split(/\r?\n/, 1)[0]);
  if (!match) return {};
  let value: unknown;
  try {
    value = JSON.parse(match[1]);
  } catch (err) {
    return `invalid @exec pragma: ${(err as Error).message}`;
  }
  const parsed = Pragma.safeParse(value);
  return parsed.success
    ? parsed.data
    : `invalid @exec pragma: expected {"yield_time_ms"?: positive integer, ` +
      `"max_output_tokens"?: positive integer}`;
}

export function execTool(cells: CodeCells, registry: () => ToolRegistry): ToolDef {
  return {
    kind: "custom",
    name: "exec",
    description: DESCRIPTION,
    format: { type: "grammar", syntax: "lark", definition: EXEC_GRAMMAR },
    async execute(input, ctx) {
      const pragma = parsePragma(input);
      if (typeof pragma === "string") {
        return { output: cellReply({ id: "", state: "failed", error: pragma }, [], 0, 0) };
      }
      const started = Date.now();
      const cell = cells.start(input, registry(), ctx);
      await cell.waitForOutput(pragma.yield_time_ms ?? DEFAULT_CELL_YIELD_MS, ctx.signal);
      // An interrupted turn stops its cell too: nothing would be left to collect it.
      if (ctx.signal.aborted) await cell.terminate();
      const maxTokens = pragma.max_output_tokens ?? DEFAULT_CELL_OUTPUT_TOKENS;
      const output = cellReply(cell, cell.takeOutput(), Date.now() - started, maxTokens);
      cells.release(cell);
      return { output };
    },
  };
}
