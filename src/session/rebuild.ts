// Rebuilding a session from its rollout the way upstream Codex does on resume: the response_item
// lines in order, a compaction replacing everything before it, a rollback dropping whole turns,
// and an "aborted" output after any call a crash left unanswered (upstream sends the same
// synthetic output, without recording it).
import { isImageTag, pairDanglingCalls, type ResponseItem } from "../protocol/mod.ts";
import type { RolloutEntry, SessionMeta, TokenInfo, TurnContext } from "./schema.ts";

/** Texts that open the messages upstream puts in the user role for context, not typed by anyone. */
const CONTEXT_PREFIXES = [
  "<environment_context>",
  "# AGENTS.md instructions for ",
  "<user_instructions>",
  "<turn_aborted>",
  "<user_shell_command>",
  "<subagent_notification>",
  "<skill>",
];

/** The text of a typed user message, or undefined for any other item. */
export function typedUserText(item: ResponseItem): string | undefined {
  return isTypedUserMessage(item) ? userTexts(item)?.join("\n") : undefined;
}

function userTexts(item: ResponseItem): string[] | undefined {
  if (item.type !== "message" || item.role !== "user" || !Array.isArray(item.content)) {
    return undefined;
  }
  return (item.content as Array<{ type?: string; text?: unknown }>)
    .filter((part) => part.type === "input_text" && typeof part.text === "string")
    .map((part) => part.text as string)
    .filter((text) => !isImageTag(text));
}

/** A user-role message that someone typed, as opposed to injected context. */
export function isTypedUserMessage(item: ResponseItem): boolean {
  const texts = userTexts(item);
  return texts !== undefined &&
    !texts.some((text) => CONTEXT_PREFIXES.some((prefix) => text.trimStart().startsWith(prefix)));
}

/** Fields newer writers (0.169.0) add to items, which 0.115.0's requests never carry. */
const WRITER_ONLY_FIELDS = ["id", "internal_chat_message_metadata_passthrough"];
/** Items whose `status` upstream 0.115.0 keeps; it has no such field on the others. */
const KEEPS_STATUS = new Set(["custom_tool_call", "web_search_call"]);

function writerOnly(item: ResponseItem): string[] {
  const fields = WRITER_ONLY_FIELDS.filter((field) => field in item);
  return "status" in item && !KEEPS_STATUS.has(item.type) ? [...fields, "status"] : fields;
}

/**
 * Upstream records exec-style tool results as JSON (`{"output","metadata":{"exit_code",
 * "duration_seconds"}}`) and turns those of apply_patch and the `shell` tool into text when it
 * builds a request (others, such as shell_command's, go as recorded); a resumed history carries
 * that text, as upstream's own resume request does.
 */
const TEXT_FORM_CALLS = new Set(["apply_patch", "shell", "container.exec"]);

function withTextFormOutputs(history: ResponseItem[]): ResponseItem[] {
  const calls = new Set<string>();
  return history.map((item) => {
    const { call_id: callId, name } = item as { call_id?: unknown; name?: unknown };
    if (typeof callId !== "string") return item;
    if (item.type === "local_shell_call" || TEXT_FORM_CALLS.has(String(name))) calls.add(callId);
    if (!item.type.endsWith("_call_output") || !calls.has(callId)) return item;
    const output = modelFacingOutput(item.output);
    return output === item.output ? item : { ...item, output } as ResponseItem;
  });
}

function modelFacingOutput(output: unknown): unknown {
  if (typeof output !== "string" || !output.startsWith('{"output":')) return output;
  try {
    const parsed = JSON.parse(output) as {
      output?: unknown;
      metadata?: { exit_code?: unknown; duration_seconds?: unknown };
    };
    const { exit_code, duration_seconds } = parsed.metadata ?? {};
    if (
      typeof parsed.output !== "string" || typeof exit_code !== "number" ||
      typeof duration_seconds !== "number"
    ) return output;
    return `Exit code: ${exit_code}\nWall time: ${duration_seconds} seconds\nOutput:\n${parsed.output}`;
  } catch {
    return output;
  }
}

/**
 * An item as the history replays it: no item ids, no output-text annotations.
 */
function replayForm(item: ResponseItem): ResponseItem {
  const dropped = writerOnly(item);
  if (dropped.length === 0 && item.type !== "message") return item;
  const copy: Record<string, unknown> = { ...item };
  for (const field of dropped) delete copy[field];
  if (Array.isArray(copy.content)) {
    copy.content = (copy.content as Array<Record<string, unknown>>).map((part) => {
      if (part?.type !== "output_text" || !("annotations" in part || "logprobs" in part)) {
        return part;
      }
      const { annotations: _annotations, logprobs: _logprobs, ...rest } = part;
      return rest;
    });
  }
  return copy as ResponseItem;
}

/** History after dropping the last `turns` user turns (each starts at a typed user message). */
function dropLastTurns(history: ResponseItem[], turns: number): ResponseItem[] {
  if (turns <= 0) return history;
  const starts = history.flatMap((item, index) => (isTypedUserMessage(item) ? [index] : []));
  if (starts.length === 0) return history;
  return history.slice(0, starts[Math.max(starts.length - turns, 0)]);
}

export interface RebuiltSession {
  meta?: SessionMeta;
  /** What the next request replays, every call paired with an output. */
  history: ResponseItem[];
  /** The last turn's settings, to tell whether the environment changed since. */
  lastTurnContext?: TurnContext;
  /** The token totals so far, so a resumed session keeps counting from there. */
  tokenInfo: TokenInfo | null;
  /** What the user typed, oldest first: the `user_message` events, or for writers that have
   * none (0.169.0), the typed user messages among the items. */
  userMessages: string[];
}

/** Rebuilds the history and session state from a rollout's entries. */
export function rebuildSession(entries: readonly RolloutEntry[]): RebuiltSession {
  let meta: SessionMeta | undefined;
  let history: ResponseItem[] = [];
  let lastTurnContext: TurnContext | undefined;
  let tokenInfo: TokenInfo | null = null;
  const userMessages: string[] = [];
  const typedMessages: string[] = [];
  for (const entry of entries) {
    switch (entry.type) {
      case "session_meta":
        // A forked session starts with its parent's meta too; the first one is this session's.
        meta ??= entry.payload;
        break;
      case "response_item": {
        history.push(replayForm(entry.payload));
        const typed = typedUserText(entry.payload);
        if (typed !== undefined) typedMessages.push(typed);
        break;
      }
      case "compacted": {
        const { message, replacement_history } = entry.payload;
        history = replacement_history
          ? replacement_history.map(replayForm)
          : [...history.filter(isTypedUserMessage), {
            // Rollouts from before replacement histories: the typed messages and the summary.
            type: "message",
            role: "user",
            content: [{ type: "input_text", text: message }],
          }];
        break;
      }
      case "turn_context":
        lastTurnContext = entry.payload;
        break;
      case "event_msg": {
        const event = entry.payload;
        if (event.type === "token_count" && event.info) tokenInfo = event.info;
        else if (event.type === "user_message") userMessages.push(event.message);
        else if (event.type === "thread_rolled_back") {
          history = dropLastTurns(history, event.num_turns);
        }
        break;
      }
      default:
        entry satisfies never;
    }
  }
  return {
    meta,
    history: pairDanglingCalls(withTextFormOutputs(history)),
    lastTurnContext,
    tokenInfo,
    userMessages: userMessages.length > 0 ? userMessages : typedMessages,
  };
}
