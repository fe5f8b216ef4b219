// One flow for every command tool, written once: the approval policy decides whether the command
// runs and where; a run that the sandbox seems to have stopped is run again outside it when the
// policy asks the user and the user agrees. exec_command and the one-shot shell tools differ only
// in how they run a command once and how they word each outcome (upstream words them differently
// for unified exec and for shell / shell_command, and models know both).
import type { ApprovalPolicy } from "../config/mod.ts";
import {
  type CommandRequest,
  gateCommand,
  looksDeniedBySandbox,
  retryOutsideSandbox,
} from "./approvals.ts";
import type { ToolContext, ToolResult } from "./registry.ts";
import { isRestricted, type SandboxScope, scopeOf } from "./sandbox.ts";

/** A command as one tool runs it, and the tool's words for each way it can end. */
export interface GatedCommand<Run> {
  request: CommandRequest;
  /** Runs the command once, inside `sandbox` when given; a string is an error to hand back. */
  run(sandbox: SandboxScope | undefined): Promise<Run | string>;
  /** How a run ended, when it has (a run still going, or cut by a timeout, cannot be judged). */
  ended(run: Run): { exitCode: number; output: string } | undefined;
  /** The policy does not allow asking to leave the sandbox. */
  refused(policy: ApprovalPolicy): string;
  /** The user said no. */
  rejected: string;
  /** The sandbox stopped the command and the policy does not retry it. */
  denied(run: Run): string | ToolResult;
  finished(run: Run): string | ToolResult;
}

/** Approval → run (sandboxed unless approved otherwise) → denied? → ask → run outside. */
export async function runGated<Run>(
  command: GatedCommand<Run>,
  ctx: ToolContext,
): Promise<string | ToolResult> {
  const gate = await gateCommand(command.request, ctx);
  if (gate.kind === "refused") return command.refused(gate.policy);
  if (gate.kind === "rejected") return command.rejected;
  const sandbox = gate.sandboxed ? scopeOf(ctx) : undefined;
  let run = await command.run(sandbox);
  if (typeof run === "string") return run;
  const ended = isRestricted(sandbox?.policy) ? command.ended(run) : undefined;
  if (ended && looksDeniedBySandbox(ended.exitCode, ended.output)) {
    const retry = await retryOutsideSandbox(command.request, ctx);
    if (retry === "not_asked") return command.denied(run);
    if (retry === "denied") return command.rejected;
    run = await command.run(undefined);
    if (typeof run === "string") return run;
  }
  return command.finished(run);
}
