// Compaction: what survives when the history is replaced by a summary.
import { type MessageItem, messageText, type ResponseItem } from "../protocol/mod.ts";
import { approxTokenCount, truncateMiddle } from "../tools/mod.ts";
import { COMPACTION_PROMPT, SUMMARY_PREFIX } from "./prompts.ts";
import { contextMessage } from "./context.ts";

export { COMPACTION_PROMPT, SUMMARY_PREFIX };

/** Recent user messages kept verbatim after compaction, newest first, within this budget. */
export const KEPT_USER_TOKENS = 20_000;

function isContextMessage(text: string): boolean {
  return text.startsWith("<environment_context>") || text.startsWith("# AGENTS.md instructions") ||
    text.startsWith("<subagent_notification>") || text.startsWith("<turn_aborted>");
}

/** The texts of the real user messages in `history`: no context, no prompts, no summaries. */
export function realUserTexts(history: readonly ResponseItem[]): string[] {
  return history
    .filter((item): item is MessageItem => item.type === "message" && item.role === "user")
    .map(messageText)
    .filter((text) =>
      text.trim() !== "" && !isContextMessage(text) && text !== COMPACTION_PROMPT &&
      !text.startsWith(SUMMARY_PREFIX)
    );
}

export function buildCompactedHistory(
  history: readonly ResponseItem[],
  initialContext: readonly ResponseItem[],
  summary: string,
): ResponseItem[] {
  const kept: string[] = [];
  let budget = KEPT_USER_TOKENS;
  for (const text of realUserTexts(history).reverse()) {
    if (budget <= 0) break;
    const tokens = approxTokenCount(text);
    kept.unshift(tokens <= budget ? text : truncateMiddle(text, budget));
    budget -= tokens;
  }
  const message = (text: string) => contextMessage("user", [text]);
  return [
    ...initialContext,
    ...kept.map(message),
    message(`${SUMMARY_PREFIX}\n${summary || "(no summary was produced)"}`),
  ];
}
