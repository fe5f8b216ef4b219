// apply_patch: file edits as a patch, declared as upstream's freeform (custom, grammar-constrained)
// tool, with the JSON function variant for models that take `{"input": patch}` instead. Replies
// are framed like upstream's (`Exit code`, `Wall time`, `Output:` then the A/M/D summary) and its
// error texts are kept, because models are trained to read them.
import { z } from "zod";
import {
  applyHunks,
  PatchRejectedError,
  PatchVerificationError,
  PatchWriteError,
} from "./patch_apply.ts";
import { parsePatch, PatchParseError } from "./patch_parser.ts";
import {
  defineFunctionTool,
  type FileChange,
  type ToolContext,
  type ToolDef,
  type ToolResult,
} from "./registry.ts";
import { PATCH_REJECTED_BY_USER, patchApproved } from "./approvals.ts";

/**
 * The patch grammar as upstream declares it, byte for byte: it is a formal spec the provider
 * compiles into a decoding constraint, so any difference would change what the model can emit.
 */
export const APPLY_PATCH_GRAMMAR = `start: begin_patch hunk+ end_patch
begin_patch: "*** Begin Patch" LF
end_patch: "*** End Patch" LF?

hunk: add_hunk | delete_hunk | update_hunk
add_hunk: "*** Add File: " filename LF add_line+
delete_hunk: "*** Delete File: " filename LF
update_hunk: "*** Update File: " filename LF change_move? change?

filename: /(.+)/
add_line: "+" /(.*)/ LF -> line

change_move: "*** Move to: " filename LF
change: (change_context | change_line)+ eof_line?
change_context: ("@@" | "@@ " /(.+)/) LF
change_line: ("+" | "-" | " ") /(.*)/ LF
eof_line: "*** End of File" LF

%import common.LF
`;

const FREEFORM_DESCRIPTION =
  "Edit files by sending a patch in the Begin/End Patch format. One patch can add, delete, " +
  "update and move several files; it applies completely or not at all.";

const FUNCTION_DESCRIPTION =
  `Edit files by sending a patch as the \`input\` string. The patch format:

*** Begin Patch
*** Add File: <path>        then the new file's lines, each starting with +
*** Delete File: <path>
*** Update File: <path>     optionally followed by *** Move to: <new path>
@@ <a line just above the change, such as a function header; may be empty>
 unchanged line (leading space)
-removed line
+added line
*** End of File             only when a change must match the end of the file
*** End Patch

Give about three unchanged lines around each change so its place is unambiguous. Paths are
relative to the working directory unless absolute. The patch applies completely or not at all.`;

const ApplyPatchArgs = z.object({
  input: z.string().describe("The whole patch, from *** Begin Patch to *** End Patch."),
});

/** Seconds since `startedMs`, rounded to one decimal, as upstream renders wall time. */
function secondsSince(startedMs: number): number {
  return Math.round((performance.now() - startedMs) / 100) / 10;
}

function framed(exitCode: number, seconds: number, output: string): string {
  return `Exit code: ${exitCode}\nWall time: ${seconds} seconds\nOutput:\n${output}`;
}

export interface ApplyPatchOptions {
  /** Where patch journals are kept (outside the workspace); a per-user temp folder if unset. */
  journalDir?: string;
}

/**
 * What became of a patch: applied (the A/M/D summary), failed while writing (rolled back),
 * rejected by the sandbox once verified, or refused as invalid; the last two wrote nothing and
 * are texts the model reads as is.
 */
export type PatchOutcome =
  | { kind: "applied"; summary: string; changes: FileChange[]; seconds: number }
  | { kind: "failed"; message: string; seconds: number }
  | { kind: "rejected"; message: string }
  | { kind: "refused"; message: string };

/**
 * Parses, verifies and applies `patch`, its paths taken from `folder` (the session's folder unless
 * given), under the call's sandbox, which always judges from the session's folder.
 */
export async function applyPatchText(
  patch: string,
  ctx: ToolContext,
  options: ApplyPatchOptions = {},
  folder?: string,
): Promise<PatchOutcome> {
  const started = performance.now();
  let hunks;
  try {
    hunks = parsePatch(patch);
  } catch (err) {
    if (err instanceof PatchParseError) {
      return { kind: "refused", message: `apply_patch verification failed: ${err.message}` };
    }
    throw err;
  }
  if (hunks.length === 0) return { kind: "refused", message: "patch rejected: empty patch" };
  if (ctx.signal.aborted) return { kind: "refused", message: "aborted" };
  if (!await patchApproved(patch, folder ?? ctx.cwd, ctx)) {
    return { kind: "rejected", message: PATCH_REJECTED_BY_USER };
  }
  try {
    const summary = await applyHunks(hunks, {
      cwd: ctx.cwd,
      ...(folder === undefined ? {} : { folder }),
      sandbox: ctx.sandbox,
      journalDir: options.journalDir,
    });
    ctx.onEvent?.({ type: "patch_applied", callId: ctx.callId, changes: summary.changes });
    const lines = [
      "Success. Updated the following files:",
      ...summary.added.map((path) => `A ${path}`),
      ...summary.modified.map((path) => `M ${path}`),
      ...summary.deleted.map((path) => `D ${path}`),
    ];
    return {
      kind: "applied",
      summary: lines.join("\n") + "\n",
      changes: summary.changes,
      seconds: secondsSince(started),
    };
  } catch (err) {
    if (err instanceof PatchVerificationError) {
      return { kind: "refused", message: `apply_patch verification failed: ${err.message}` };
    }
    if (err instanceof PatchRejectedError) return { kind: "rejected", message: err.message };
    if (err instanceof PatchWriteError) {
      return { kind: "failed", message: `${err.message}\n`, seconds: secondsSince(started) };
    }
    throw err;
  }
}

/** The apply_patch tool's reply: framed like a command's (`Exit code`, `Wall time`, `Output:`). */
export async function runApplyPatch(
  patch: string,
  ctx: ToolContext,
  options: ApplyPatchOptions = {},
): Promise<string | ToolResult> {
  const outcome = await applyPatchText(patch, ctx, options);
  switch (outcome.kind) {
    case "applied":
      return {
        output: framed(0, outcome.seconds, outcome.summary),
        metadata: { kind: "patch", changes: outcome.changes },
      };
    case "failed":
      return framed(1, outcome.seconds, outcome.message);
    case "rejected":
    case "refused":
      return outcome.message;
  }
}

/** The freeform variant upstream declares for gpt-5.1-codex. */
export function applyPatchTool(options: ApplyPatchOptions = {}): ToolDef {
  return {
    kind: "custom",
    name: "apply_patch",
    description: FREEFORM_DESCRIPTION,
    format: { type: "grammar", syntax: "lark", definition: APPLY_PATCH_GRAMMAR },
    jsonInput: true,
    execute: (input, ctx) => runApplyPatch(input, ctx, options),
  };
}

/** The JSON function variant, for models configured with `apply_patch_tool_type = "function"`. */
export function applyPatchFunctionTool(options: ApplyPatchOptions = {}): ToolDef {
  return defineFunctionTool({
    kind: "function",
    name: "apply_patch",
    description: FUNCTION_DESCRIPTION,
    parameters: ApplyPatchArgs,
    execute: (args, ctx) => runApplyPatch(args.input, ctx, options),
  });
}
