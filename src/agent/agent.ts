// The turn loop: sample, record the output items, run the tool calls, feed their outputs back,
// and sample again until a response asks for no tools.
import {
  isToolCall,
  messageText,
  type ResponseItem,
  type ResponsesRequest,
  type ToolCallItem,
  type Usage,
  uuidv7,
} from "../protocol/mod.ts";
import { type ResponsesClient, sample } from "../model/mod.ts";
import type { ToolOutputItem, ToolRegistry } from "../tools/mod.ts";
import { pairDanglingCalls } from "./history.ts";

export type AgentEvent =
  | { type: "turn_started"; turnId: string; texts: string[] }
  | { type: "model_called"; turnId: string; iteration: number }
  | { type: "text_delta"; turnId: string; delta: string }
  | { type: "reasoning_delta"; turnId: string; delta: string }
  | { type: "item_completed"; turnId: string; item: ResponseItem }
  | { type: "tool_started"; turnId: string; call: ToolCallItem }
  | { type: "tool_completed"; turnId: string; call: ToolCallItem; output: ToolOutputItem }
  | { type: "token_count"; turnId: string; usage: Usage }
  | {
    type: "reconnecting";
    turnId: string;
    attempt: number;
    maxRetries: number;
    delayMs: number;
    error: string;
  }
  | { type: "turn_completed"; turnId: string; lastMessage: string | null }
  | { type: "turn_failed"; turnId: string; error: Error }
  | { type: "turn_interrupted"; turnId: string };

export interface AgentOptions {
  client: ResponsesClient;
  model: string;
  baseInstructions: string;
  tools: ToolRegistry;
  cwd: string;
  sessionId?: string;
  maxRetries: number;
  reasoning?: { effort?: string; summary?: string };
  /** Context items placed at the start of the history before the first turn. */
  initialContext?: ResponseItem[];
  headers?: Record<string, string>;
  onEvent?: (event: AgentEvent) => void;
}

export interface TurnResult {
  turnId: string;
  lastMessage: string | null;
  iterations: number;
}

export class TurnInterruptedError extends Error {
  constructor() {
    super("turn interrupted");
    this.name = "TurnInterruptedError";
  }
}

export class Agent {
  readonly sessionId: string;
  readonly history: ResponseItem[] = [];
  lastUsage?: Usage;

  constructor(readonly options: AgentOptions) {
    this.sessionId = options.sessionId ?? uuidv7();
    this.history.push(...(options.initialContext ?? []));
  }

  #emit(event: AgentEvent): void {
    this.options.onEvent?.(event);
  }

  buildRequest(): ResponsesRequest {
    const { options } = this;
    const tools = options.tools.specs();
    return {
      model: options.model,
      instructions: options.baseInstructions,
      input: pairDanglingCalls(this.history),
      tools,
      tool_choice: "auto",
      parallel_tool_calls: tools.some((t) =>
        "name" in t && options.tools.supportsParallel(String(t.name))
      ),
      reasoning: options.reasoning ?? null,
      store: false,
      stream: true,
      include: options.reasoning ? ["reasoning.encrypted_content"] : [],
      prompt_cache_key: this.sessionId,
    };
  }

  /** Runs one user turn to completion. Throws on failure or interrupt (after emitting its event). */
  async runTurn(
    texts: string[],
    signal: AbortSignal = new AbortController().signal,
  ): Promise<TurnResult> {
    const turnId = uuidv7();
    this.#emit({ type: "turn_started", turnId, texts });
    this.history.push({
      type: "message",
      role: "user",
      content: texts.map((text) => ({ type: "input_text", text })),
    });
    let lastMessage: string | null = null;
    try {
      for (let iteration = 1;; iteration++) {
        if (signal.aborted) throw new TurnInterruptedError();
        this.#emit({ type: "model_called", turnId, iteration });
        const result = await sample(this.options.client, this.buildRequest(), {
          signal,
          maxRetries: this.options.maxRetries,
          headers: { session_id: this.sessionId, ...this.options.headers },
          onEvent: (event) => {
            switch (event.type) {
              case "text_delta":
                return this.#emit({ type: "text_delta", turnId, delta: event.delta });
              case "reasoning_delta":
                return this.#emit({ type: "reasoning_delta", turnId, delta: event.delta });
              case "item_done":
                return this.#emit({ type: "item_completed", turnId, item: event.item });
              case "retrying":
                return this.#emit({ ...event, type: "reconnecting", turnId });
            }
          },
        });
        this.history.push(...result.items);
        if (result.usage) {
          this.lastUsage = result.usage;
          this.#emit({ type: "token_count", turnId, usage: result.usage });
        }
        for (const item of result.items) {
          if (item.type === "message" && item.role === "assistant") {
            lastMessage = messageText(item as Parameters<typeof messageText>[0]);
          }
        }
        const calls = result.items.filter(isToolCall);
        if (calls.length === 0) {
          this.#emit({ type: "turn_completed", turnId, lastMessage });
          return { turnId, lastMessage, iterations: iteration };
        }
        await this.#runCalls(turnId, calls, signal);
      }
    } catch (err) {
      if (signal.aborted || err instanceof TurnInterruptedError) {
        this.history.splice(0, this.history.length, ...pairDanglingCalls(this.history));
        this.#emit({ type: "turn_interrupted", turnId });
        throw new TurnInterruptedError();
      }
      this.#emit({ type: "turn_failed", turnId, error: err as Error });
      throw err;
    }
  }

  /** Consecutive parallel-safe calls run together; outputs are appended in call order. */
  async #runCalls(turnId: string, calls: ToolCallItem[], signal: AbortSignal): Promise<void> {
    const runOne = async (call: ToolCallItem) => {
      this.#emit({ type: "tool_started", turnId, call });
      const output = await this.options.tools.run(call, {
        signal,
        cwd: this.options.cwd,
        callId: call.call_id,
      });
      this.#emit({ type: "tool_completed", turnId, call, output });
      return output;
    };
    let batch: ToolCallItem[] = [];
    const flush = async () => {
      const outputs = await Promise.all(batch.map(runOne));
      this.history.push(...outputs);
      batch = [];
    };
    for (const call of calls) {
      if (this.options.tools.supportsParallel(call.name)) {
        batch.push(call);
        continue;
      }
      await flush();
      this.history.push(await runOne(call));
    }
    await flush();
  }
}
