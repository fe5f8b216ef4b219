// The bridge from agent events to rollout lines: the same line sequence upstream Codex 0.115.0
// writes for the same turn (task_started, context items, turn_context, the user message and its
// user_message event, token counts around each request, agent_message before each assistant
// item, task_complete), so either program can resume the other's sessions.
import { isImageTag, type MessageItem, messageText, type ResponseItem } from "../protocol/mod.ts";
import { classify } from "../model/mod.ts";
import {
  addUsage,
  agentMessage,
  agentReasoning,
  contextCompacted,
  fillContextWindow,
  type RolloutRecorder,
  taskComplete,
  taskStarted,
  tokenCount,
  type TokenInfo,
  turnAborted,
  turnContextPayload,
  type TurnSettings,
  userMessage,
} from "../session/mod.ts";
import type { AgentEvent } from "./agent.ts";

export interface RolloutListenerOptions {
  recorder: RolloutRecorder;
  /** Recorded as each turn's turn_context; a function when they can change between turns. */
  turnSettings: TurnSettings | (() => TurnSettings);
  /** The model's usable context window in tokens (upstream: 95% of the catalog's), if known. */
  modelContextWindow?: number | null;
  /** Token totals recorded so far (`openSession(...).tokenInfo`): a resumed session adds to them. */
  tokenInfo?: TokenInfo | null;
}

function inputTexts(item: ResponseItem): string[] | undefined {
  if (item.type !== "message" || item.role !== "user" || !Array.isArray(item.content)) {
    return undefined;
  }
  return (item.content as Array<{ type?: string; text?: string }>)
    .filter((part) => part.type === "input_text").map((part) => String(part.text))
    .filter((text) => !isImageTag(text));
}

function sameTexts(a: readonly string[] | undefined, b: readonly string[]): boolean {
  return a !== undefined && a.length === b.length && a.every((text, i) => text === b[i]);
}

/** An `onEvent` listener that records the agent's turns in `recorder`, line by line. */
export function rolloutListener(options: RolloutListenerOptions): (event: AgentEvent) => void {
  const { recorder } = options;
  const window = options.modelContextWindow ?? null;
  const settings = () =>
    typeof options.turnSettings === "function" ? options.turnSettings() : options.turnSettings;
  let info = options.tokenInfo ?? null;
  let turn:
    | { id: string; texts: string[]; localImages: string[]; contextRecorded: boolean }
    | undefined;

  const recordTurnContext = () => {
    if (!turn || turn.contextRecorded) return;
    turn.contextRecorded = true;
    recorder.record("turn_context", turnContextPayload(turn.id, settings()));
  };

  const recordItem = (item: ResponseItem) => {
    if (turn && !turn.contextRecorded && sameTexts(inputTexts(item), turn.texts)) {
      // The turn's own message: upstream puts the turn's settings right before it.
      recordTurnContext();
      recorder.recordItems([item]);
      recorder.recordEvent(userMessage(turn.texts.join("\n"), turn.localImages));
      return;
    }
    if (item.type === "message" && item.role === "assistant") {
      const phase = typeof item.phase === "string" ? item.phase : null;
      recorder.recordEvent(agentMessage(messageText(item as MessageItem), phase));
    } else if (item.type === "reasoning" && Array.isArray(item.summary)) {
      for (const part of item.summary as Array<{ text?: unknown }>) {
        if (typeof part.text === "string") recorder.recordEvent(agentReasoning(part.text));
      }
    }
    recorder.recordItems([item]);
  };

  return (event) => {
    switch (event.type) {
      case "turn_started":
        turn = {
          id: event.turnId,
          texts: event.texts,
          localImages: event.localImages ?? [],
          contextRecorded: false,
        };
        recorder.recordEvent(taskStarted(event.turnId, window, settings().collaborationMode));
        return;
      case "history_appended":
        return event.items.forEach(recordItem);
      case "steer_inserted":
        return recorder.recordEvent(userMessage(event.texts.join("\n")));
      case "model_called":
        // Settings always precede a request, even if the turn's message went unrecognised.
        return recordTurnContext();
      case "stream_opened":
        // Upstream counts tokens when each response stream opens, before any output.
        return recorder.recordEvent(tokenCount(info));
      case "token_count":
        info = addUsage(info, event.usage, window);
        return recorder.recordEvent(tokenCount(info));
      case "compaction_completed": {
        const summary = event.history.at(-1);
        const message = summary?.type === "message"
          ? messageText(summary as MessageItem)
          : event.summary;
        recorder.recordCompacted(message, event.history);
        // Upstream restates the turn's settings and the token totals after the replacement.
        if (turn) recorder.record("turn_context", turnContextPayload(turn.id, settings()));
        recorder.recordEvent(tokenCount(info));
        return recorder.recordEvent(contextCompacted());
      }
      case "turn_completed":
        turn = undefined;
        return recorder.recordEvent(taskComplete(event.turnId, event.lastMessage));
      case "turn_failed":
        turn = undefined;
        if (window !== null && classify(event.error).kind === "context_overflow") {
          info = fillContextWindow(info, window);
          recorder.recordEvent(tokenCount(info));
        }
        return recorder.recordEvent(taskComplete(event.turnId, null));
      case "turn_interrupted":
        turn = undefined;
        return recorder.recordEvent(turnAborted(event.turnId, "interrupted"));
      // Items reach the rollout through history_appended; the rest are progress upstream does
      // not record either. A new kind of event fails to compile until it is placed here.
      case "item_started":
      case "text_delta":
      case "reasoning_delta":
      case "item_completed":
      case "tool_started":
      case "tool_completed":
      case "tool_event":
      case "reconnecting":
      case "compaction_started":
      case "compaction_failed":
        return;
      default:
        event satisfies never;
    }
  };
}
