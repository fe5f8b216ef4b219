// The REPL's side of command approvals: the command, where it runs and why the policy asks, then
// one typed line decides — y for this once, a for the rest of the session, anything else is no.
import {
  type ApprovalDecision,
  type ApprovalHandler,
  type ApprovalRequest,
  shellJoin,
} from "../tools/mod.ts";
import { visibleText } from "./visible_text.ts";

type Ask = (question: string, signal: AbortSignal) => Promise<string | undefined>;

const WHY: Record<ApprovalRequest["reason"], string> = {
  escalation: "The agent asks to run a command outside the sandbox",
  untrusted: "The agent wants to run a command",
  sandbox_denied: "A command failed in the sandbox; run it again without the sandbox?",
  patch: "The agent wants to apply a patch",
};

/** The most lines of a patch the question shows; the rest is counted. */
const PATCH_LINES = 40;

/** What would run or change, as shown under the question: the command, or the patch's lines. */
function subject(request: ApprovalRequest): string[] {
  if (request.patch === undefined) {
    return [`  $ ${visibleText(shellJoin(request.command)).replaceAll("\n", "\n    ")}`];
  }
  const lines = request.patch.replace(/\n$/, "").split("\n");
  const more = lines.length - PATCH_LINES;
  return [
    ...lines.slice(0, PATCH_LINES).map((line) => `  ${visibleText(line)}`),
    ...(more > 0 ? [`  … ${more} more line${more === 1 ? "" : "s"}`] : []),
  ];
}

/**
 * The question shown for `request`. Everything in it but the fixed words comes from the model,
 * so it is shown as written: a command's further lines are indented under it, and the one-line
 * justification and the folder keep their line breaks visible.
 */
export function approvalQuestion(request: ApprovalRequest): string {
  const why = request.justification
    ? `${WHY[request.reason]}: ${visibleText(request.justification).replaceAll("\n", "\\n")}`
    : WHY[request.reason];
  return [
    why,
    ...subject(request),
    `  in ${visibleText(request.cwd).replaceAll("\n", "\\n")}`,
    "Allow? [y] yes, [a] always in this session, [n] no: ",
  ].join("\n");
}

/** What a typed answer decides; an unanswered question (interrupt) is a no. */
export function approvalAnswer(line: string | undefined): ApprovalDecision {
  const answer = line?.trim().toLowerCase();
  if (answer === "y" || answer === "yes") return "approved";
  if (answer === "a" || answer === "always") return "approved_for_session";
  return "denied";
}

export function approvalPrompt(ask: Ask): ApprovalHandler {
  return async (request, signal) => approvalAnswer(await ask(approvalQuestion(request), signal));
}
