// exec_wait: collects more output from an `exec` cell that was still running, waiting up to
// yield_time_ms for it to end or yield, or terminates it. Unknown cells (never started, or already
// reported finished) get upstream's failure reply.
import { z } from "zod";
import { defineFunctionTool, type ToolDef } from "../registry.ts";
import { cellReply, type CodeCells } from "./cells.ts";
import { DEFAULT_CELL_OUTPUT_TOKENS, DEFAULT_CELL_YIELD_MS } from "./exec_tool.ts";

const DESCRIPTION = "Continue with an exec cell that replied `Script running with cell ID …`: " +
  "wait for it to finish or yield and return only the output produced since the last reply, " +
  "or stop it with terminate. A finished cell's last reply closes it; its ID is then unknown.";

const ExecWaitArgs = z.object({
  cell_id: z.string().describe("The cell ID from the running reply."),
  max_tokens: z.number().describe("Cap on the tokens of output this reply returns.").optional(),
  terminate: z.boolean().describe("True to kill the cell instead of waiting.").optional(),
  yield_time_ms: z.number().describe(
    "Milliseconds to wait for the cell to finish or yield before replying; 10000 by default.",
  ).optional(),
});

export function execWaitTool(cells: CodeCells): ToolDef {
  return defineFunctionTool({
    kind: "function",
    name: "exec_wait",
    description: DESCRIPTION,
    parameters: ExecWaitArgs,
    async execute(args, ctx) {
      const cell = cells.get(args.cell_id);
      if (!cell) {
        return {
          output: cellReply(
            { id: args.cell_id, state: "failed", error: `exec cell ${args.cell_id} not found` },
            [],
            0,
            0,
          ),
        };
      }
      const started = Date.now();
      if (!args.terminate) {
        await cell.waitForOutput(args.yield_time_ms ?? DEFAULT_CELL_YIELD_MS, ctx.signal);
      }
      if (args.terminate || ctx.signal.aborted) await cell.terminate();
      const maxTokens = args.max_tokens ?? DEFAULT_CELL_OUTPUT_TOKENS;
      const output = cellReply(cell, cell.takeOutput(), Date.now() - started, maxTokens);
      cells.release(cell);
      return { output };
    },
  });
}
