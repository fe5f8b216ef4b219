// What `exec` shows of a turn: the agent's events seen as upstream's thread items (commands,
// file changes, plans, messages). Both the `--json` stream and the human-readable stderr log are
// built from this one view.
import type { AgentEvent } from "../agent/mod.ts";
import { classify, explain } from "../model/mod.ts";
import {
  type MessageItem,
  messageText,
  type ResponseItem,
  type ToolCallItem,
  type Usage,
} from "../protocol/mod.ts";
import type { CollabCall, CommandMetadata, ToolEvent } from "../tools/mod.ts";

export type ThreadItem =
  | { id: string; type: "agent_message"; text: string }
  | { id: string; type: "reasoning"; text: string }
  | {
    id: string;
    type: "command_execution";
    command: string;
    aggregated_output: string;
    exit_code: number | null;
    status: "in_progress" | "completed" | "failed";
  }
  | {
    id: string;
    type: "file_change";
    changes: Array<{ path: string; kind: "add" | "update" | "delete" }>;
    status: "completed" | "failed";
  }
  | { id: string; type: "todo_list"; items: Array<{ text: string; completed: boolean }> }
  | {
    id: string;
    type: "collab_tool_call";
    tool: CollabCall["tool"];
    sender_thread_id: string;
    receiver_thread_ids: string[];
    prompt: string | null;
    agents_states: CollabCall["agentsStates"];
    status: CollabCall["status"];
  }
  | {
    id: string;
    type: "mcp_tool_call";
    server: string;
    tool: string;
    arguments: unknown;
    result: { content: unknown[]; structured_content: unknown } | null;
    error: { message: string } | null;
    status: "in_progress" | "completed" | "failed";
  }
  | { id: string; type: "web_search"; query: string; action?: Record<string, unknown> }
  | { id: string; type: "error"; message: string };

/** What the plain log prints of an item that its JSON form leaves out. */
export interface ItemDetails {
  /** The model's call id (sub-agent calls: upstream's log names it). */
  callId?: string;
  /** The folder a command ran in. */
  cwd?: string;
  /** When a command's process was spawned (`performance.now()`), for the time it took. */
  startedAt?: number;
  /** A plan update's explanation. */
  explanation?: string;
  /** A notice that the history was just compacted. */
  compacted?: boolean;
  /** An MCP call's result as the server sent it, and how long the call took. */
  mcp?: { result?: Record<string, unknown>; durationMs: number };
  /** On a reasoning item that opens a summary: how many parts it has. */
  summaryParts?: number;
  /** An error item that is only a warning (the log says `warning:`, not `ERROR:`). */
  warning?: boolean;
}

/** Said once the history has been compacted (upstream warns too, in its own words). */
export const COMPACTION_NOTICE = "The conversation so far was compacted into a summary; details " +
  "from earlier turns may be lost. Start a new session for unrelated work.";

export type ThreadEvent =
  | { type: "thread.started"; thread_id: string }
  | { type: "turn.started" }
  | { type: "item.started"; item: ThreadItem }
  | { type: "item.updated"; item: ThreadItem }
  | { type: "item.completed"; item: ThreadItem }
  | {
    type: "turn.completed";
    usage: { input_tokens: number; cached_input_tokens: number; output_tokens: number };
  }
  | { type: "turn.failed"; error: { message: string } }
  | { type: "error"; message: string };

/** The tools whose calls run a command, shown as `command_execution` items. */
const COMMAND_TOOLS = new Set(["exec_command", "shell", "shell_command"]);

type CommandItem = Extract<ThreadItem, { type: "command_execution" }>;

/**
 * Turns agent events into thread events. Commands that keep running past their call stay open
 * and complete when a later write_stdin sees their process exit, as upstream reports them.
 */
export class ExecView {
  #nextId = 0;
  /** Commands still running after their call returned, by session id. */
  #openCommands = new Map<number, CommandItem>();
  /** Commands started by calls that have not returned yet, by call id. */
  #commandsByCall = new Map<string, CommandItem>();
  #plan?: Extract<ThreadItem, { type: "todo_list" }>;
  /** Item ids of the sub-agent calls begun and not yet ended, by call id. */
  #collabCalls = new Map<string, string>();
  /** Item ids of the MCP calls begun and not yet ended, by call id. */
  #mcpCalls = new Map<string, string>();
  /** The call id of each sub-agent item, by item id, for the plain log (which names calls). */
  /** What the plain log shows of an item beyond its JSON form, by item id. */
  readonly details = new Map<string, ItemDetails>();
  /** Whether the session has token figures to report (upstream's log then ends with them). */
  usageReported = false;
  /** Inside a compaction: its request's output is not the conversation's. */
  #compacting = false;
  /** The item ids given to the searches begun so far, by the provider's item id. */
  #webSearches = new Map<string, string>();
  #usage = { input_tokens: 0, cached_input_tokens: 0, output_tokens: 0 };
  lastMessage: string | null = null;
  /** What to do about the turn's failure, when its error says. */
  failureHint: string | undefined;

  constructor(readonly emit: (event: ThreadEvent) => void) {}

  /**
   * A search keeps the provider's item id, as upstream's do; one without an id gets ours. Either
   * way it takes a number, once, so the items after it are numbered as upstream numbers them.
   */
  #webSearchId(item: ResponseItem): string {
    const raw = (item as { id?: unknown }).id;
    const key = typeof raw === "string" ? raw : undefined;
    const known = key === undefined ? undefined : this.#webSearches.get(key);
    if (known) return known;
    const own = this.#id();
    const id = key ?? own;
    if (key !== undefined) this.#webSearches.set(key, id);
    return id;
  }

  #id(): string {
    return `item_${this.#nextId++}`;
  }

  #addUsage(usage: Usage): void {
    this.#usage.input_tokens += usage.input_tokens;
    this.#usage.cached_input_tokens += usage.input_tokens_details?.cached_tokens ?? 0;
    this.#usage.output_tokens += usage.output_tokens;
  }

  /** The session's usage: what it had used before (when resumed) plus this turn's requests. */
  get usage() {
    return { ...this.#usage };
  }

  /** A resumed session's earlier usage; upstream's totals count the whole session. */
  countFrom(prior: { input_tokens: number; cached_input_tokens: number; output_tokens: number }) {
    this.#usage = {
      input_tokens: prior.input_tokens,
      cached_input_tokens: prior.cached_input_tokens,
      output_tokens: prior.output_tokens,
    };
  }

  on(event: AgentEvent): void {
    switch (event.type) {
      case "turn_started":
        this.emit({ type: "turn.started" });
        break;
      case "token_count":
        this.#addUsage(event.usage);
        this.usageReported = true;
        break;
      case "compaction_started":
        this.#compacting = true;
        break;
      case "compaction_failed":
        this.#compacting = false;
        break;
      case "compaction_completed": {
        this.#compacting = false;
        const id = this.#id();
        this.details.set(id, { compacted: true });
        this.emit({
          type: "item.completed",
          item: { id, type: "error", message: COMPACTION_NOTICE },
        });
        break;
      }
      case "item_completed": {
        if (this.#compacting) break;
        const item = event.item;
        if (item.type === "message" && item.role === "assistant") {
          const text = messageText(item as MessageItem);
          this.lastMessage = text;
          this.emit({
            type: "item.completed",
            item: { id: this.#id(), type: "agent_message", text },
          });
        } else if (item.type === "reasoning") {
          // Upstream shows each part of a summary as an item of its own.
          const parts = ((item.summary ?? []) as Array<{ text: string }>).map((p) => p.text)
            .filter(Boolean);
          parts.forEach((text, i) => {
            const id = this.#id();
            if (i === 0) this.details.set(id, { summaryParts: parts.length });
            this.emit({ type: "item.completed", item: { id, type: "reasoning", text } });
          });
        } else if (item.type === "web_search_call") {
          const action = item.action as { query?: string } | undefined;
          this.emit({
            type: "item.completed",
            item: {
              id: this.#webSearchId(item),
              type: "web_search",
              query: action?.query ?? "",
              ...(action ? { action } : {}),
            },
          });
        }
        break;
      }
      case "item_started":
        // Upstream shows a search as it begins, before its query is known.
        if (event.item.type === "web_search_call") {
          this.emit({
            type: "item.started",
            item: {
              id: this.#webSearchId(event.item),
              type: "web_search",
              query: "",
              action: { type: "other" },
            },
          });
        }
        break;
      // A command's item starts with its process (the tool's command_started), not its call.
      case "tool_started":
        break;
      case "tool_completed":
        this.#toolCompleted(event);
        break;
      case "tool_event":
        this.#toolEvent(event.event, event.call);
        break;
      case "reconnecting":
        this.emit({
          type: "error",
          message: `Reconnecting... ${event.attempt}/${event.maxRetries} (${event.error})`,
        });
        break;
      case "turn_completed":
        if (this.#plan) {
          this.emit({ type: "item.completed", item: this.#plan });
          this.#plan = undefined;
        }
        // Upstream closes the items of commands still running when the turn ends, with no
        // exit code (the plain log shows no outcome for them).
        for (const item of this.#openCommands.values()) {
          this.emit({ type: "item.completed", item: { ...item, status: "completed" } });
        }
        this.#openCommands.clear();
        this.emit({ type: "turn.completed", usage: this.usage });
        break;
      case "turn_failed":
        // An overflow fills the recorded window: upstream then has token figures to report.
        if (classify(event.error).kind === "context_overflow") this.usageReported = true;
        this.fail(event.error);
        break;
      // Streaming progress and history bookkeeping have no thread event of their own.
      case "history_appended":
      case "model_called":
      case "stream_opened":
      case "text_delta":
      case "reasoning_delta":
      case "steer_inserted":
      case "turn_interrupted":
        break;
      default:
        event satisfies never;
    }
  }

  /** A warning before the turn, shown as upstream shows one: an error item, `warning:` in the log. */
  warn(message: string): void {
    const id = this.#id();
    this.details.set(id, { warning: true });
    this.emit({ type: "item.completed", item: { id, type: "error", message } });
  }

  /**
   * A failed turn: the `error` notice says all of it, `turn.failed` the headline (what the
   * provider said, as upstream reports it); the hint is kept for the plain log's next line.
   */
  fail(error: Error): void {
    const { headline, hint } = explain(error);
    this.failureHint = hint;
    this.emit({ type: "error", message: error.message });
    this.emit({ type: "turn.failed", error: { message: headline } });
  }

  #toolEvent(event: ToolEvent, call: ToolCallItem): void {
    if (event.type === "plan_updated") {
      const items = event.plan.map((p) => ({ text: p.step, completed: p.status === "completed" }));
      const started = !this.#plan;
      this.#plan = { id: this.#plan?.id ?? this.#id(), type: "todo_list", items };
      this.details.set(this.#plan.id, { explanation: event.explanation });
      this.emit({ type: started ? "item.started" : "item.updated", item: this.#plan });
    } else if (event.type === "collab_call") {
      const { call } = event;
      const begun = this.#collabCalls.get(event.callId);
      const item: ThreadItem = {
        id: begun ?? this.#id(),
        type: "collab_tool_call",
        tool: call.tool,
        sender_thread_id: call.senderThreadId,
        receiver_thread_ids: call.receiverThreadIds,
        prompt: call.prompt,
        agents_states: call.agentsStates,
        status: call.status,
      };
      this.details.set(item.id, { callId: event.callId });
      if (call.status === "in_progress") {
        this.#collabCalls.set(event.callId, item.id);
        this.emit({ type: "item.started", item });
      } else {
        this.#collabCalls.delete(event.callId);
        this.emit({ type: "item.completed", item });
      }
    } else if (event.type === "mcp_call") {
      this.#mcpCall(event);
    } else if (event.type === "command_started") {
      // Upstream shows a command from the moment it runs; a code cell's own commands are not
      // items, and a command run again outside the sandbox stays the one item.
      if (event.callId !== call.call_id || this.#commandsByCall.has(call.call_id)) return;
      const item: CommandItem = {
        id: this.#id(),
        type: "command_execution",
        command: event.command,
        aggregated_output: "",
        exit_code: null,
        status: "in_progress",
      };
      this.details.set(item.id, { cwd: event.cwd, startedAt: event.startedAt });
      this.#commandsByCall.set(call.call_id, item);
      this.emit({ type: "item.started", item: { ...item } });
    } else if (event.type === "patch_applied") {
      this.emit({
        type: "item.completed",
        item: { id: this.#id(), type: "file_change", changes: event.changes, status: "completed" },
      });
    } else if (event.type !== "tool_failed") {
      // A call that failed inside tscodex shows as its output; the event is for the debug log.
      event satisfies never;
    }
  }

  /** An MCP call as upstream's `mcp_tool_call` item: started, then completed or failed. */
  #mcpCall(event: Extract<ToolEvent, { type: "mcp_call" }>): void {
    const { outcome } = event;
    const result = outcome?.result;
    const item: ThreadItem = {
      id: this.#mcpCalls.get(event.callId) ?? this.#id(),
      type: "mcp_tool_call",
      server: event.server,
      tool: event.tool,
      arguments: event.arguments,
      result: result
        ? {
          content: (result.content ?? []) as unknown[],
          structured_content: result.structuredContent ?? null,
        }
        : null,
      error: outcome?.error === undefined ? null : { message: outcome.error },
      status: !outcome ? "in_progress" : result && result.isError !== true ? "completed" : "failed",
    };
    if (!outcome) {
      this.#mcpCalls.set(event.callId, item.id);
      this.emit({ type: "item.started", item });
      return;
    }
    this.#mcpCalls.delete(event.callId);
    this.details.set(item.id, { mcp: { result, durationMs: outcome.durationMs } });
    this.emit({ type: "item.completed", item });
  }

  #toolCompleted(event: Extract<AgentEvent, { type: "tool_completed" }>): void {
    const { call, metadata } = event;
    const command = metadata?.kind === "command" ? metadata : undefined;
    if (COMMAND_TOOLS.has(call.name)) {
      const item = this.#commandsByCall.get(call.call_id);
      this.#commandsByCall.delete(call.call_id);
      // A command refused before it ran (approval policy) is no item at all, as upstream shows
      // it; one that ran and then failed without an outcome (an interrupt) ends as failed.
      if (item) this.#progress(item, command);
    } else if (call.name === "write_stdin" && command?.sessionId !== undefined) {
      const item = this.#openCommands.get(command.sessionId);
      if (!item) return;
      this.#openCommands.delete(command.sessionId);
      this.#progress(item, command);
    }
  }

  /** Adds a call's output to the item; completes it once the process has exited. */
  #progress(item: CommandItem, command: CommandMetadata | undefined): void {
    item.aggregated_output += command?.output ?? "";
    if (command && command.exitCode === undefined && command.sessionId !== undefined) {
      this.#openCommands.set(command.sessionId, item);
      return;
    }
    const code = command?.exitCode ?? null;
    this.emit({
      type: "item.completed",
      item: { ...item, exit_code: code, status: code === 0 ? "completed" : "failed" },
    });
  }
}
