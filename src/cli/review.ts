// `tscodex exec review`: a code review run as upstream's exec runs it. The session the user sees
// (source `exec`) hands the work to a review thread of its own (source `{subagent: "review"}`,
// its own instructions and a fixed set of tools), shows that thread's commands as its own, and
// ends with the reviewer's findings rendered as one agent message. Both threads keep a rollout.
import { z } from "zod";
import {
  type AgentEvent,
  REVIEW_EMPTY_RESULT,
  REVIEW_INSTRUCTIONS,
  type ReviewRequest,
  reviewRequestText,
  reviewResultText,
} from "../agent/mod.ts";
import type { ResponseItem } from "../protocol/mod.ts";
import { agentMessage, taskComplete, taskStarted, userMessage } from "../session/mod.ts";
import { git } from "../system/mod.ts";
import { type ExecOptions, type ExecTurn, resolvePrompt, runExec, UsageError } from "./exec.ts";
import { type AgentSession, openAgentSession, sessionFromFlags } from "./setup/mod.ts";
import type { ExecView } from "./exec_view.ts";

export interface ReviewOptions extends ExecOptions {
  uncommitted?: boolean;
  base?: string;
  commit?: string;
  title?: string;
}

/** The tools a review thread is offered, as upstream's: it reads and runs, it delegates nothing. */
export const REVIEW_TOOLS = [
  "exec_command",
  "write_stdin",
  "update_plan",
  "apply_patch",
  "view_image",
] as const;

const Finding = z.object({
  title: z.string(),
  body: z.string(),
  confidence_score: z.number(),
  priority: z.number().int(),
  code_location: z.object({
    absolute_file_path: z.string(),
    line_range: z.object({ start: z.number().int(), end: z.number().int() }),
  }),
});

/** The JSON a reviewer is asked to answer with (upstream's `ReviewOutputEvent`). */
export const ReviewOutput = z.object({
  findings: z.array(Finding),
  overall_correctness: z.string(),
  overall_explanation: z.string(),
  overall_confidence_score: z.number(),
});
export type ReviewOutput = z.infer<typeof ReviewOutput>;

function parseAs(text: string): ReviewOutput | undefined {
  try {
    const parsed = ReviewOutput.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The reviewer's final message as a review: the whole text as JSON, else the span from its first
 * `{` to its last `}` (a fenced or introduced answer), else the text itself as the explanation.
 */
export function parseReviewOutput(text: string): ReviewOutput {
  const start = text.indexOf("{");
  const end = text.lastIndexOf("}");
  return parseAs(text) ??
    (start >= 0 && start < end ? parseAs(text.slice(start, end + 1)) : undefined) ??
    {
      findings: [],
      overall_correctness: "",
      overall_explanation: text,
      overall_confidence_score: 0,
    };
}

/** The review as the user reads it: the explanation, then each finding with its location. */
export function renderReviewOutput(review: ReviewOutput): string {
  const sections: string[] = [];
  const explanation = review.overall_explanation.trim();
  if (explanation) sections.push(explanation);
  if (review.findings.length) {
    const lines = [review.findings.length > 1 ? "Full review comments:" : "Review comment:"];
    for (const finding of review.findings) {
      const { absolute_file_path: path, line_range: range } = finding.code_location;
      lines.push("", `- ${finding.title} — ${path}:${range.start}-${range.end}`);
      for (const line of finding.body.split("\n")) lines.push(`  ${line}`);
    }
    sections.push(lines.join("\n"));
  }
  return sections.length ? sections.join("\n\n") : REVIEW_EMPTY_RESULT;
}

/** What the target flags ask for; a target flag wins over a prompt, as in upstream. */
export interface ReviewTarget {
  request: ReviewRequest;
  /** What the log's banner shows in place of the prompt. */
  hint: string;
  /** The target as the rollout's `entered_review_mode` records it. */
  recorded: Record<string, unknown>;
}

async function resolvesToCommit(cwd: string, ref: string): Promise<boolean> {
  return (await git(cwd, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`])).ok;
}

export async function reviewTarget(
  prompt: string | undefined,
  options: ReviewOptions,
  cwd: string,
): Promise<ReviewTarget> {
  if (options.title !== undefined && options.commit === undefined) {
    throw new UsageError("--title names a commit: use it with --commit");
  }
  if (options.uncommitted) {
    return {
      request: { kind: "uncommitted" },
      hint: "current changes",
      recorded: { type: "uncommittedChanges" },
    };
  }
  if (options.base !== undefined) {
    const branch = options.base;
    if (!await resolvesToCommit(cwd, branch)) {
      throw new UsageError(`--base ${branch}: no such branch or commit in this repository`);
    }
    const mergeBase = await git(cwd, ["merge-base", "HEAD", branch]);
    return {
      request: { kind: "base", branch, mergeBase: mergeBase.ok ? mergeBase.out.trim() : undefined },
      hint: `changes against '${branch}'`,
      recorded: { type: "baseBranch", branch },
    };
  }
  if (options.commit !== undefined) {
    const sha = options.commit;
    if (!await resolvesToCommit(cwd, sha)) {
      throw new UsageError(`--commit ${sha}: no such commit in this repository`);
    }
    const short = sha.slice(0, 7);
    return {
      request: { kind: "commit", sha, title: options.title },
      hint: options.title === undefined ? `commit ${short}` : `commit ${short}: ${options.title}`,
      recorded: { type: "commit", sha, title: options.title ?? null },
    };
  }
  if (prompt === undefined) {
    throw new UsageError(
      "say what to review: --uncommitted, --base BRANCH, --commit SHA, or instructions as the " +
        "prompt",
    );
  }
  const instructions = (await resolvePrompt(prompt)).trim();
  if (!instructions) throw new UsageError("the review instructions are empty");
  return {
    request: { kind: "custom", instructions },
    hint: instructions,
    recorded: { type: "custom", instructions },
  };
}

function message(role: "user" | "assistant", text: string): ResponseItem {
  const type = role === "user" ? "input_text" : "output_text";
  return { type: "message", role, content: [{ type, text }] } as ResponseItem;
}

/** Runs the review thread for `target` under `session`, which records what the user saw. */
async function runReviewThread(
  target: ReviewTarget,
  options: ReviewOptions,
  session: AgentSession,
  view: ExecView,
  signal: AbortSignal,
): Promise<string | null> {
  const parent = session.recorder;
  const text = reviewRequestText(target.request);
  parent.record("event_msg", {
    type: "entered_review_mode",
    target: target.recorded,
    user_facing_hint: target.hint,
  });
  let turnId = "";
  // The reviewer's own messages and token counts stay in its thread: the user sees the rendered
  // result once, and upstream's totals for the turn stay at zero.
  const forward = (event: AgentEvent) => {
    if (event.type === "turn_started") {
      turnId = event.turnId;
      parent.recordEvent(taskStarted(turnId, session.contextWindow));
      parent.recordEvent(userMessage(text));
      parent.recordEvent(userMessage(text));
    }
    if (event.type === "token_count" || event.type === "turn_completed") return;
    if (
      event.type === "item_completed" && event.item.type === "message" &&
      event.item.role === "assistant"
    ) return;
    view.on(event);
  };
  const reviewer = await openAgentSession({
    ...sessionFromFlags(options),
    ephemeral: options.ephemeral,
    originator: "codex_exec",
    source: { subagent: "review" },
    subagent: "review",
    onlyTools: REVIEW_TOOLS,
    sandboxMode: session.sandboxMode,
    approvalPolicy: session.approvalPolicy,
    systemPrompt: REVIEW_INSTRUCTIONS,
    onEvent: forward,
    // The main session has said everything there is to say about the setup.
    notice: () => {},
  });
  try {
    const { lastMessage } = await reviewer.agent.runTurn([text], signal);
    const review = lastMessage === null ? null : parseReviewOutput(lastMessage);
    const rendered = review ? renderReviewOutput(review) : REVIEW_EMPTY_RESULT;
    parent.recordItems([message("user", reviewResultText(rendered))]);
    parent.record("event_msg", { type: "exited_review_mode", review_output: review });
    const answer = message("assistant", rendered);
    parent.recordItems([answer]);
    parent.recordEvent(agentMessage(rendered, null));
    parent.recordEvent(taskComplete(turnId, null));
    view.on({ type: "item_completed", turnId, item: answer });
    view.on({ type: "turn_completed", turnId, lastMessage: null });
    // As upstream's, the review's result is in the log and the events, not on stdout.
    return null;
  } finally {
    await reviewer.close();
  }
}

export function runReview(prompt: string | undefined, options: ReviewOptions): Promise<number> {
  return runExec(undefined, {
    ...options,
    turn: async (cwd): Promise<ExecTurn> => {
      const target = await reviewTarget(prompt, options, cwd);
      return {
        hint: target.hint,
        run: (session, view, signal) => runReviewThread(target, options, session, view, signal),
      };
    },
  });
}
