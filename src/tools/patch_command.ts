// apply_patch written as a shell command: models trained on upstream often send
// `apply_patch <<'EOF' … EOF` (or `cd dir && apply_patch <<'EOF' …`) through exec_command or
// shell_command, even
// where they have an apply_patch tool, and upstream 0.115.0 applies such a script as a patch
// rather than running a shell (there is no apply_patch program). Its reply and the note it adds to
// the history follow upstream's as recorded (conformance scenarios apply-patch-via-exec and
// apply-patch-via-shell-command).
import { resolve } from "node:path";
import { type ApplyPatchOptions, applyPatchText } from "./apply_patch.ts";
import type { ToolContext, ToolResult } from "./registry.ts";

/** A script that is nothing but one patch invocation: its body and the folder it `cd`s into. */
export interface PatchInvocation {
  patch: string;
  /** The `cd` target, relative to the command's folder. */
  dir?: string;
}

/**
 * `[cd DIR &&] apply_patch <<'DELIM'` then the body, then `DELIM` on a line of its own and
 * nothing after. The delimiter may be quoted either way or bare; `applypatch` is an alias.
 */
const INVOCATION =
  /^\s*(?:cd\s+('[^']*'|"[^"\\$`]*"|[^\s'"&;|<>()$`\\]+)\s*&&\s*)?(?:apply_patch|applypatch)\s*<<\s*(['"]?)([A-Za-z_][A-Za-z0-9_-]*)\2[ \t]*\n([\s\S]*?)\n\3\s*$/;

/** The patch a command script applies, when the script is exactly one apply_patch heredoc. */
export function patchInvocation(script: string): PatchInvocation | undefined {
  const match = INVOCATION.exec(script);
  if (!match) return undefined;
  const [, rawDir, , , body] = match;
  const dir = rawDir === undefined
    ? undefined
    : /^['"]/.test(rawDir)
    ? rawDir.slice(1, -1)
    : rawDir;
  return { patch: body, ...(dir === undefined ? {} : { dir }) };
}

/** The command tools that apply a patch sent as their script. */
export type PatchCommandTool = "exec_command" | "shell_command";

/** What the history is told, before the call's output, when a command carried a patch. */
export function patchViaCommandNotice(tool: PatchCommandTool): string {
  return "Note: this apply_patch came as a shell command and was applied as a patch. Next time, " +
    `call the apply_patch tool itself instead of running it through ${tool}.`;
}

/**
 * Applies a patch that came as a command, its paths taken from the folder the command would have
 * run in (the sandbox still judges from the session's folder, so a `cd` widens nothing). The reply
 * is upstream's for this path: wall time, then the patch tool's result as JSON (its text with an
 * exit code and duration). A patch the sandbox rejects reads as the tool's own rejection; an
 * invalid one (it does not parse or match the files) also adds no notice, as upstream's.
 */
export async function runPatchCommand(
  tool: PatchCommandTool,
  invocation: PatchInvocation,
  folder: string,
  ctx: ToolContext,
  options: ApplyPatchOptions = {},
): Promise<string | ToolResult> {
  const notice = patchViaCommandNotice(tool);
  const base = invocation.dir === undefined ? folder : resolve(folder, invocation.dir);
  const outcome = await applyPatchText(invocation.patch, ctx, options, base);
  if (outcome.kind === "refused") return outcome.message;
  if (outcome.kind === "rejected") return { output: outcome.message, notice };
  const [output, exitCode] = outcome.kind === "applied"
    ? [outcome.summary, 0]
    : [outcome.message, 1];
  const reply = JSON.stringify({
    output,
    metadata: { exit_code: exitCode, duration_seconds: outcome.seconds },
  });
  return {
    // exec_command frames the result as its replies are framed; shell_command sends it bare.
    output: tool === "exec_command"
      ? `Wall time: ${outcome.seconds} seconds\nOutput:\n${reply}`
      : reply,
    ...(outcome.kind === "applied"
      ? { metadata: { kind: "patch" as const, changes: outcome.changes } }
      : {}),
    notice,
  };
}
