// The turn loop: sample, record the output items, run the tool calls, feed their outputs back,
// and sample again until a response asks for no tools and no steer input is waiting.
import {
  abortedOutputs,
  IMAGE_CLOSE_TAG,
  imageOpenTag,
  isToolCall,
  type MessageItem,
  messageText,
  pairDanglingCalls,
  type ResponseItem,
  type ResponsesRequest,
  type ToolCallItem,
  type Usage,
  uuidv7,
} from "../protocol/mod.ts";
import {
  classify,
  type ModelSettings,
  requestBody,
  type ResponsesClient,
  sample,
  type SampleResult,
} from "../model/mod.ts";
import type {
  CommandApprovals,
  PermissionGrants,
  SandboxPolicy,
  ToolEvent,
  ToolMetadata,
  ToolOutputItem,
  ToolRegistry,
} from "../tools/mod.ts";
import { toHistoryItem, usageFromOverflow, withoutOldestToolPair } from "./history.ts";
import { buildCompactedHistory, COMPACTION_PROMPT } from "./compact.ts";
import { TURN_ABORTED_NOTICE } from "./prompts.ts";

export type AgentEvent =
  | {
    type: "turn_started";
    turnId: string;
    texts: string[];
    /** Paths of the image files attached to the message, as the rollout records them. */
    localImages?: string[];
  }
  /** Items entered the history (context, user messages, model output, tool outputs), in order. */
  | { type: "history_appended"; turnId: string; items: ResponseItem[] }
  | { type: "model_called"; turnId: string; iteration: number }
  /** A response stream began; retries of the same request open again. */
  | { type: "stream_opened"; turnId: string }
  /** The model began an output item (only its start: the item is whole at item_completed). */
  | { type: "item_started"; turnId: string; item: ResponseItem }
  | { type: "text_delta"; turnId: string; delta: string }
  | { type: "reasoning_delta"; turnId: string; delta: string }
  | { type: "item_completed"; turnId: string; item: ResponseItem }
  | { type: "tool_started"; turnId: string; call: ToolCallItem }
  | {
    type: "tool_completed";
    turnId: string;
    call: ToolCallItem;
    output: ToolOutputItem;
    /** What the tool reported for the UI (a command's exit code, a patch's files). */
    metadata?: ToolMetadata;
  }
  /** What a tool reported for the UI while it ran: plan updates, applied file changes. */
  | { type: "tool_event"; turnId: string; call: ToolCallItem; event: ToolEvent }
  | { type: "token_count"; turnId: string; usage: Usage }
  | {
    type: "reconnecting";
    turnId: string;
    attempt: number;
    maxRetries: number;
    delayMs: number;
    error: string;
  }
  | { type: "steer_inserted"; turnId: string; texts: string[] }
  | { type: "compaction_started"; turnId: string; reason: "auto" | "manual" | "context_overflow" }
  | { type: "compaction_completed"; turnId: string; summary: string; history: ResponseItem[] }
  | { type: "compaction_failed"; turnId: string; error: Error }
  | { type: "turn_completed"; turnId: string; lastMessage: string | null }
  | { type: "turn_failed"; turnId: string; error: Error }
  | { type: "turn_interrupted"; turnId: string };

export interface RequestContext {
  turnId: string;
}

export interface AgentOptions {
  client: ResponsesClient;
  model: string;
  baseInstructions: string;
  tools: ToolRegistry;
  cwd: string;
  sessionId?: string;
  maxRetries: number;
  /** Reasoning and verbosity from config; the model's catalog entry decides what is sent. */
  modelSettings?: Omit<ModelSettings, "model">;
  /** Whether the request lets the model ask for several tools at once. */
  parallelToolCalls?: boolean;
  /** Fields of the request body beyond the ones the loop owns. */
  extraBody?: Record<string, unknown>;
  /** The JSON schema every answer must follow (`exec --output-schema`). */
  outputSchema?: unknown;
  /** Context items placed at the start of the history before the first turn. */
  initialContext?: ResponseItem[];
  /** Headers for each request; the turn id lets them carry turn metadata. */
  headers?: (context: RequestContext) => Record<string, string> | Promise<Record<string, string>>;
  /** Where tools may write; absent means unrestricted. */
  sandbox?: SandboxPolicy;
  /** The approval policy for commands and who to ask; absent means `never`. */
  approvals?: CommandApprovals;
  /** What the user granted through request_permissions; turn grants end with each turn. */
  permissionGrants?: PermissionGrants;
  /** Compact before sampling once the last response used this many tokens. */
  autoCompactTokenLimit?: number;
  /** Settles once every tool is registered (MCP servers still starting); turns wait for it. */
  toolsReady?: Promise<unknown>;
  onEvent?: (event: AgentEvent) => void;
}

export interface TurnResult {
  turnId: string;
  lastMessage: string | null;
  iterations: number;
}

/**
 * The abort reason for a turn stopped because its session or helper is closing, not by the user:
 * such a turn ends without the interrupt notice.
 */
export const SHUTDOWN_REASON = "shutdown";

export class TurnInterruptedError extends Error {
  constructor() {
    super("turn interrupted");
    this.name = "TurnInterruptedError";
  }
}

/**
 * A user message: the attached images (data URLs) first, then the texts, as upstream 0.115.0
 * sends them. Images read from local files (`exec -i`) sit between name tags; images given as
 * URLs (a sub-agent's items) do not.
 */
function userMessage(texts: string[], images: string[] = [], fromFiles = false): ResponseItem {
  return {
    type: "message",
    role: "user",
    content: [
      ...images.flatMap((image_url, i) =>
        fromFiles
          ? [
            { type: "input_text", text: imageOpenTag(i + 1) },
            { type: "input_image", image_url },
            { type: "input_text", text: IMAGE_CLOSE_TAG },
          ]
          : [{ type: "input_image", image_url }]
      ),
      ...texts.map((text) => ({ type: "input_text", text })),
    ],
  };
}

export class Agent {
  readonly sessionId: string;
  readonly history: ResponseItem[] = [];
  lastUsage?: Usage;

  #contextRecorded = false;
  #running?: { turnId: string; steer: string[] };
  #pendingInput: ResponseItem[] = [];

  constructor(readonly options: AgentOptions) {
    this.sessionId = options.sessionId ?? uuidv7();
  }

  get running(): boolean {
    return this.#running !== undefined;
  }

  /** Restores a history (from a rollout); the initial context is then already part of it. */
  restoreHistory(items: ResponseItem[]): void {
    // A rollout keeps outputs whole; the history cuts them as it did when they were new.
    const kept = items.map((item) => this.options.tools.historyForm(item));
    this.history.splice(0, this.history.length, ...kept);
    this.#contextRecorded = true;
  }

  /**
   * Adds items that come from outside the conversation (a sub-agent's notification, a change of
   * collaboration mode). A running turn takes them at its next boundary, as it takes steer input,
   * and samples again for them; otherwise they open the next turn, before its user message.
   */
  enqueueInput(items: ResponseItem[]): void {
    this.#pendingInput.push(...items);
  }

  /**
   * Adds input to the running turn: it enters the next request, in order, under the same turn
   * id. Returns false when no turn is running.
   */
  steer(text: string): boolean {
    if (!this.#running) return false;
    this.#running.steer.push(text);
    return true;
  }

  /** Into the history in its form (outputs cut to budget); listeners get the items whole. */
  #append(turnId: string, items: ResponseItem[]): void {
    if (items.length === 0) return;
    this.history.push(...items.map((item) => this.options.tools.historyForm(item)));
    this.#emit({ type: "history_appended", turnId, items });
  }

  #emit(event: AgentEvent): void {
    this.options.onEvent?.(event);
  }

  buildRequest(input: ResponseItem[] = this.history, withTools = true): ResponsesRequest {
    const { options } = this;
    return requestBody({
      settings: { ...options.modelSettings, model: options.model },
      sessionId: this.sessionId,
      instructions: options.baseInstructions,
      input: pairDanglingCalls(input),
      tools: withTools ? options.tools.specs() : [],
      parallelToolCalls: withTools && (options.parallelToolCalls ?? false),
      outputSchema: options.outputSchema,
      extra: options.extraBody,
    });
  }

  async #sample(
    turnId: string,
    body: ResponsesRequest,
    signal: AbortSignal,
  ): Promise<SampleResult> {
    const headers = await this.options.headers?.({ turnId }) ?? {};
    return await sample(this.options.client, { body, headers }, {
      signal,
      maxRetries: this.options.maxRetries,
      onEvent: (event) => {
        switch (event.type) {
          case "text_delta":
            return this.#emit({ type: "text_delta", turnId, delta: event.delta });
          case "reasoning_delta":
            return this.#emit({ type: "reasoning_delta", turnId, delta: event.delta });
          case "item_added":
            return this.#emit({ type: "item_started", turnId, item: event.item });
          case "item_done":
            return this.#emit({ type: "item_completed", turnId, item: event.item });
          case "retrying":
            return this.#emit({ ...event, type: "reconnecting", turnId });
          case "stream_opened":
            return this.#emit({ type: "stream_opened", turnId });
          default:
            return event satisfies never;
        }
      },
    });
  }

  /** Runs one user turn to completion. Throws on failure or interrupt (after emitting its event). */
  async runTurn(
    texts: string[],
    signal: AbortSignal = new AbortController().signal,
    images: string[] = [],
    localImages: string[] = [],
  ): Promise<TurnResult> {
    if (this.#running) throw new Error("a turn is already running; steer it or queue this one");
    const turnId = uuidv7();
    const running = { turnId, steer: [] as string[] };
    this.#running = running;
    let lastMessage: string | null = null;
    try {
      // Inside the try: a listener that fails (the rollout cannot be written) fails the turn.
      this.#emit({ type: "turn_started", turnId, texts, localImages });
      await this.options.toolsReady;
      if (!this.#contextRecorded) {
        this.#contextRecorded = true;
        this.#append(turnId, this.options.initialContext ?? []);
      }
      // A crash or interrupt may have left calls unanswered; answer them before anything else.
      this.#append(turnId, abortedOutputs(this.history));
      await this.#maybeAutoCompact(turnId, signal);
      this.#append(turnId, this.#pendingInput.splice(0));
      this.#append(turnId, [userMessage(texts, images, localImages.length > 0)]);
      for (let iteration = 1;; iteration++) {
        if (signal.aborted) throw new TurnInterruptedError();
        if (iteration > 1) await this.#maybeAutoCompact(turnId, signal);
        this.#emit({ type: "model_called", turnId, iteration });
        const result = await this.#sampleWithOverflowRecovery(turnId, signal);
        this.#append(turnId, result.items.map(toHistoryItem));
        if (result.usage) {
          this.lastUsage = result.usage;
          this.#emit({ type: "token_count", turnId, usage: result.usage });
        }
        for (const item of result.items) {
          if (item.type === "message" && item.role === "assistant") {
            lastMessage = messageText(item as MessageItem);
          }
        }
        const calls = result.items.filter(isToolCall);
        if (calls.length > 0) await this.#runCalls(turnId, calls, signal);
        if (signal.aborted) throw new TurnInterruptedError();
        const injected = this.#pendingInput.splice(0);
        this.#append(turnId, injected);
        const steered = running.steer.splice(0);
        if (steered.length > 0) {
          this.#append(turnId, [userMessage(steered)]);
          this.#emit({ type: "steer_inserted", turnId, texts: steered });
          continue;
        }
        if (injected.length > 0) continue;
        if (calls.length === 0) {
          this.#emit({ type: "turn_completed", turnId, lastMessage });
          return { turnId, lastMessage, iterations: iteration };
        }
      }
    } catch (err) {
      if (signal.aborted || err instanceof TurnInterruptedError) {
        this.#append(turnId, abortedOutputs(this.history));
        // The next request tells the model the turn was stopped on purpose, as upstream does.
        if (signal.reason !== SHUTDOWN_REASON) {
          this.#append(turnId, [userMessage([TURN_ABORTED_NOTICE])]);
        }
        this.#emit({ type: "turn_interrupted", turnId });
        throw new TurnInterruptedError();
      }
      this.#emit({ type: "turn_failed", turnId, error: err as Error });
      throw err;
    } finally {
      this.#running = undefined;
      this.options.permissionGrants?.endTurn();
    }
  }

  /** One compaction and one retry when the request no longer fits the context window. */
  async #sampleWithOverflowRecovery(turnId: string, signal: AbortSignal): Promise<SampleResult> {
    try {
      return await this.#sample(turnId, this.buildRequest(), signal);
    } catch (err) {
      if (signal.aborted || classify(err).kind !== "context_overflow" || !this.#compactable()) {
        throw err;
      }
      const usage = usageFromOverflow((err as Error).message);
      if (usage) this.#emit({ type: "token_count", turnId, usage });
      await this.compact(signal, "context_overflow", turnId);
      return await this.#sample(turnId, this.buildRequest(), signal);
    }
  }

  /** Only model output and tool results can be summarised away; context and prompts cannot. */
  #compactable(): boolean {
    return this.history.some((item) => item.type !== "message" || item.role === "assistant");
  }

  async #maybeAutoCompact(turnId: string, signal: AbortSignal): Promise<void> {
    const limit = this.options.autoCompactTokenLimit;
    if (!limit || !this.lastUsage || this.lastUsage.total_tokens < limit) return;
    await this.compact(signal, "auto", turnId);
  }

  /**
   * Replaces the history by the initial context, the recent user messages and a summary the
   * model writes of everything else.
   */
  async compact(
    signal: AbortSignal,
    reason: "auto" | "manual" | "context_overflow" = "manual",
    turnId: string = uuidv7(),
  ): Promise<void> {
    this.#emit({ type: "compaction_started", turnId, reason });
    try {
      const result = await this.#sampleSummary(turnId, signal);
      // The summary's tokens count towards the session, not towards the next compaction check.
      if (result.usage) this.#emit({ type: "token_count", turnId, usage: result.usage });
      const summary = result.items.filter((i): i is MessageItem =>
        i.type === "message" && i.role === "assistant"
      )
        .map(messageText).join("\n").trim();
      const replacement = buildCompactedHistory(
        this.history,
        this.options.initialContext ?? [],
        summary,
      );
      this.history.splice(0, this.history.length, ...replacement);
      this.lastUsage = undefined;
      this.#emit({ type: "compaction_completed", turnId, summary, history: replacement });
    } catch (err) {
      this.#emit({ type: "compaction_failed", turnId, error: err as Error });
      throw err;
    }
  }

  /**
   * Asks for the summary; while the request itself overflows the window, the oldest tool call
   * and its output are dropped and it is asked again.
   */
  async #sampleSummary(turnId: string, signal: AbortSignal): Promise<SampleResult> {
    let source = [...this.history];
    while (true) {
      const request = this.buildRequest([...source, userMessage([COMPACTION_PROMPT])], false);
      try {
        return await this.#sample(turnId, request, signal);
      } catch (err) {
        const overflow = classify(err).kind === "context_overflow";
        const pruned = overflow ? withoutOldestToolPair(source) : undefined;
        if (!pruned) throw err;
        source = pruned;
      }
    }
  }

  /** Runs one turn and returns the final assistant message: the entry point for embedding. */
  async ask(text: string, signal?: AbortSignal): Promise<string | null> {
    return (await this.runTurn([text], signal)).lastMessage;
  }

  /** Consecutive parallel-safe calls run together; outputs follow all the calls, in call order. */
  async #runCalls(turnId: string, calls: ToolCallItem[], signal: AbortSignal): Promise<void> {
    const runOne = async (call: ToolCallItem) => {
      this.#emit({ type: "tool_started", turnId, call });
      const started = performance.now();
      const { item: result, metadata, notice } = await this.options.tools.execute(call, {
        signal,
        cwd: this.options.cwd,
        callId: call.call_id,
        sandbox: this.options.permissionGrants?.sandbox(this.options.sandbox) ??
          this.options.sandbox,
        approvals: this.options.approvals,
        onEvent: (event) => this.#emit({ type: "tool_event", turnId, call, event }),
      });
      // A call cut short by an interrupt says so, and how long it had run, as upstream records it.
      const interrupted = signal.aborted && signal.reason !== SHUTDOWN_REASON;
      const output = interrupted
        ? {
          ...result,
          output: `aborted by user after ${((performance.now() - started) / 1000).toFixed(1)}s`,
        }
        : result;
      this.#emit({
        type: "tool_completed",
        turnId,
        call,
        output,
        ...(metadata && !interrupted ? { metadata } : {}),
      });
      const items: ResponseItem[] = [output];
      if (notice && !interrupted) items.unshift(userMessage([notice]));
      return items;
    };
    let batch: ToolCallItem[] = [];
    const outputs: ResponseItem[] = [];
    const flush = async () => {
      outputs.push(...(await Promise.all(batch.map(runOne))).flat());
      batch = [];
    };
    try {
      for (const call of calls) {
        if (signal.aborted) break;
        // As upstream's router: whatever parallel_tool_calls told the model, calls of tools
        // that allow it run together when the model asks for several at once.
        if (this.options.tools.supportsParallel(call.name)) {
          batch.push(call);
          continue;
        }
        await flush();
        outputs.push(...await runOne(call));
      }
      await flush();
    } finally {
      this.#append(turnId, outputs);
    }
  }
}
