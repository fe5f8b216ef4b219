// How the REPL shows what the tools did, one short line each, as the seed draws them:
// `[exec_command] cmd -> first output line`, `[web_search] searched: q`, the plan as a checklist,
// `[apply_patch]` with the files it changed, `[error] <tool> failed: …`.
import { relative } from "node:path";
import type { ResponseItem, ToolCallItem } from "../../protocol/mod.ts";
import type { CommandMetadata, ToolEvent, ToolMetadata } from "../../tools/mod.ts";

type PlanStep = Extract<ToolEvent, { type: "plan_updated" }>["plan"][number];
type FileChange = Extract<ToolEvent, { type: "patch_applied" }>["changes"][number];

const LINE_WIDTH = 96;

function clip(text: string, width = LINE_WIDTH): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length <= width ? line : `${line.slice(0, width - 1)}…`;
}

function argumentsOf(call: ToolCallItem): Record<string, unknown> {
  if (call.type !== "function_call") return {};
  try {
    const parsed = JSON.parse(call.arguments || "{}");
    return parsed && typeof parsed === "object" ? parsed : {};
  } catch {
    return {};
  }
}

/** The command line a command tool runs, or undefined for other tools. */
export function commandOf(call: ToolCallItem): string | undefined {
  const args = argumentsOf(call);
  if (call.name === "exec_command" && typeof args.cmd === "string") return args.cmd;
  if (call.name === "shell_command" && typeof args.command === "string") return args.command;
  if (call.name === "shell" && Array.isArray(args.command)) return args.command.join(" ");
  return undefined;
}

/**
 * What a command did, in one line: its first output line, or what became of it — read from the
 * call's metadata; a call without any (an interrupt) says its reply's first line.
 */
function commandOutcome(text: string, command: CommandMetadata | undefined): string {
  if (!command) return text.split("\n").find((line) => line.trim() !== "") ?? "(no output)";
  const first = command.output.split("\n").find((line) => line.trim() !== "");
  if (first !== undefined) return first;
  if (command.exitCode === undefined) return `session_id=${command.sessionId}`;
  return `(no output, exit ${command.exitCode})`;
}

/** The `[error]` line of a reply that says the call failed before doing its work. */
function failureLine(name: string, text: string): string | undefined {
  const first = text.split("\n")[0];
  if (first.startsWith(`${name} failed`)) return `[error] ${clip(first)}`;
  const refused = first.startsWith("failed to parse function arguments") ||
    first.startsWith("unsupported call") ||
    (name === "apply_patch" && first.includes("verification failed"));
  return refused ? `[error] ${name} failed: ${clip(first)}` : undefined;
}

/** The line for a finished tool call: `text` is the reply the model gets, `metadata` the facts. */
export function toolLine(call: ToolCallItem, text: string, metadata?: ToolMetadata): string {
  const failed = failureLine(call.name, text);
  if (failed !== undefined) return failed;
  const command = commandOf(call);
  if (command !== undefined) {
    const facts = metadata?.kind === "command" ? metadata : undefined;
    return `[${call.name}] ${clip(command, 200)} -> ${clip(commandOutcome(text, facts))}`;
  }
  const first = text.split("\n").find((line) => line.trim() !== "") ?? "";
  return `[${call.name}] ${clip(first)}`;
}

/** update_plan as a checklist: `[x]` done, `[>]` under way, `[ ]` to do. */
export function planLines(plan: readonly PlanStep[], explanation?: string): string[] {
  const done = plan.filter((step) => step.status === "completed").length;
  const current = plan.findIndex((step) => step.status === "in_progress");
  const head = current >= 0
    ? `Working on ${current + 1}/${plan.length}`
    : done === plan.length
    ? `Done ${done}/${plan.length}`
    : `${done}/${plan.length} done`;
  const mark = { completed: "[x]", in_progress: "[>]", pending: "[ ]" };
  return [
    `[update_plan] ${head}${explanation ? `: ${clip(explanation)}` : ""}`,
    ...plan.map((step) => `  ${mark[step.status]} ${step.step}`),
  ];
}

/** apply_patch's changes, each file relative to the work dir. */
export function patchLine(changes: readonly FileChange[], cwd: string): string {
  const verbs = { add: "added", update: "updated", delete: "deleted" };
  const files = changes.map((change) => `${verbs[change.kind]} ${relative(cwd, change.path)}`);
  return `[apply_patch] ${files.join(", ") || "no changes"}`;
}

/** A provider-run web search: what it searched, opened or looked for. */
export function webSearchLine(item: ResponseItem): string {
  const action = (item.action ?? {}) as Record<string, unknown>;
  const text = (key: string) => typeof action[key] === "string" ? action[key] as string : "";
  switch (action.type) {
    case "search":
      return `[web_search] searched: ${clip(text("query"))}`;
    case "open_page":
      return `[web_search] opened: ${clip(text("url"))}`;
    case "find_in_page":
      return `[web_search] found: ${clip(text("pattern"))} @ ${clip(text("url"))}`;
    default:
      return "[web_search] searched";
  }
}
