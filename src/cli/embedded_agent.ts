// The embedding API: `import { Agent } from "tscodex"` in a Deno or Bun program. An Agent is a
// session as exec opens it — config.toml from a CODEX_HOME (or a provider given in code), the
// sandbox, the tools, a rollout — asked one prompt at a time, its events streamed to the host.
// The session's modules load when the first agent is created, not when the library is imported.
import process from "node:process";
import type { AgentEvent } from "../agent/mod.ts";
import type { ApprovalPolicy, SandboxMode } from "../config/mod.ts";
import type { ResponseItem, Usage } from "../protocol/mod.ts";
import type { ToolContext, ToolDef } from "../tools/mod.ts";
// Types only: the session's modules are loaded by `openAgent`.
import type { AgentSession, AgentSessionOptions } from "./setup/mod.ts";

export type { AgentEvent };

/** A tool of the host program's, offered to the model beside the built-in ones. */
export interface AgentTool {
  name: string;
  /** What the model reads to decide when to call it. */
  description: string;
  /** JSON Schema of the arguments object. */
  parameters: Record<string, unknown>;
  /**
   * Runs one call with the arguments the model wrote. A string is the model's reply as it is;
   * anything else is sent as JSON. A thrown error is reported to the model, not to the host.
   */
  execute(args: unknown, context: { signal: AbortSignal; cwd: string }): unknown;
}

export interface AgentOptions {
  /** CODEX_HOME: config.toml, .env, AGENTS.md, skills, sessions. `$CODEX_HOME` or ~/.codex. */
  home?: string;
  /** The folder the agent works in; the current one when unset. */
  cwd?: string;
  model?: string;
  /** A `[profiles.<name>]` table of config.toml. */
  profile?: string;
  /** config.toml keys set for this agent (as `-c key=value`), e.g. `{ model_reasoning_effort: "low" }`. */
  config?: Record<string, string | number | boolean | string[]>;
  /** A provider of its own instead of the one config.toml selects. */
  baseUrl?: string;
  apiKey?: string;
  /** What `baseUrl` speaks; chat and messages backends are bridged in-process. */
  wireApi?: "responses" | "chat" | "messages";
  /** Sandbox of the model's commands; config.toml's (else read-only) when unset. */
  sandbox?: SandboxMode;
  /** Replaces the base instructions. */
  instructions?: string;
  /** Tools of the host program's. */
  tools?: AgentTool[];
  /** Keep no rollout of the session. */
  ephemeral?: boolean;
  /** Where notices go (the offline demo is in use, …); stderr when unset. */
  onNotice?: (text: string) => void;
}

/** What one `ask` produced. */
export interface AgentAnswer {
  /** The final message of the turn; null when the turn ended without one. */
  text: string | null;
  turnId: string;
  /** Every item the turn added to the history: messages, tool calls and their outputs. */
  items: ResponseItem[];
  /** The last usage the provider reported in the turn. */
  usage?: Usage;
}

export interface AskOptions {
  /** Interrupts the turn: its commands are killed and `ask` rejects. */
  signal?: AbortSignal;
  /** Every event of this turn, as it happens. */
  onEvent?: (event: AgentEvent) => void;
}

/** The settings nobody answers in a program: no approvals, so nothing leaves the sandbox. */
const APPROVAL: ApprovalPolicy = "never";

function tomlValue(value: string | number | boolean | string[]): string {
  return Array.isArray(value)
    ? `[${value.map((v) => JSON.stringify(v)).join(", ")}]`
    : typeof value === "string"
    ? JSON.stringify(value)
    : String(value);
}

function hostTool(tool: AgentTool): ToolDef {
  return {
    kind: "external",
    name: tool.name,
    description: tool.description,
    parameters: tool.parameters,
    async execute(argumentsText: string, ctx: ToolContext) {
      const args = argumentsText.trim() ? JSON.parse(argumentsText) : {};
      const result = await tool.execute(args, { signal: ctx.signal, cwd: ctx.cwd });
      return typeof result === "string" ? result : JSON.stringify(result ?? null);
    },
  };
}

/** Set only while `openAgent` constructs one: an Agent is made by `Agent.create`, not `new`. */
let opening = false;

/**
 * An Agent over a session opened with `options` as the CLI builds them (`tscodex js` passes its
 * flags this way); `Agent.create` is the public door.
 */
export async function openAgent(options: Omit<AgentSessionOptions, "onEvent">): Promise<Agent> {
  const { openAgentSession } = await import("./setup/mod.ts");
  const listeners = new Set<(event: AgentEvent) => void>();
  const session = await openAgentSession({
    ...options,
    onEvent: (event) => {
      for (const listener of listeners) listener(event);
    },
  });
  opening = true;
  try {
    return new Agent(session, listeners);
  } finally {
    opening = false;
  }
}

export class Agent {
  readonly #session: AgentSession;
  readonly #listeners: Set<(event: AgentEvent) => void>;
  #closed = false;

  /** Use `Agent.create`. */
  constructor(session: AgentSession, listeners: Set<(event: AgentEvent) => void>) {
    if (!opening) throw new Error("create an Agent with `await Agent.create(options)`");
    this.#session = session;
    this.#listeners = listeners;
  }

  /** Opens a session: reads the configuration, starts MCP servers and a bridge if configured. */
  static create(options: AgentOptions = {}): Promise<Agent> {
    return openAgent({
      cwd: options.cwd ?? process.cwd(),
      home: options.home,
      model: options.model,
      profile: options.profile,
      configOverrides: Object.entries(options.config ?? {}).map(([key, value]) =>
        `${key}=${tomlValue(value)}`
      ),
      ...(options.baseUrl
        ? {
          provider: { baseUrl: options.baseUrl, apiKey: options.apiKey, wireApi: options.wireApi },
        }
        : {}),
      sandboxMode: options.sandbox,
      approvalPolicy: APPROVAL,
      systemPrompt: options.instructions,
      ephemeral: options.ephemeral,
      extraTools: (options.tools ?? []).map(hostTool),
      originator: "codex_sdk_ts",
      source: "exec",
      notice: options.onNotice ?? ((text) => process.stderr.write(text + "\n")),
    });
  }

  /** The session's id, as its rollout and `tscodex resume` name it. */
  get sessionId(): string {
    return this.#session.agent.sessionId;
  }

  get model(): string {
    return this.#session.agent.options.model;
  }

  /** The rollout file the session appends to. */
  get rolloutPath(): string {
    return this.#session.rolloutPath;
  }

  /** Whether a turn is running. */
  get busy(): boolean {
    return this.#session.agent.running;
  }

  /** Calls `listener` with every event of every turn until the returned function is called. */
  on(listener: (event: AgentEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Runs one turn: the model, its tool calls, until it answers. Rejects when the turn fails. */
  async ask(prompt: string, options: AskOptions = {}): Promise<AgentAnswer> {
    if (this.#closed) throw new Error("this agent is closed; create another one");
    if (this.busy) {
      throw new Error(
        "this agent is already answering; await the previous ask, or use another Agent",
      );
    }
    const items: ResponseItem[] = [];
    let usage: Usage | undefined;
    let turnId: string | undefined;
    const collect = (event: AgentEvent) => {
      if (event.type === "turn_started" && turnId === undefined) turnId = event.turnId;
      if (event.turnId !== turnId) return;
      if (event.type === "history_appended") items.push(...event.items);
      if (event.type === "token_count") usage = event.usage;
      options.onEvent?.(event);
    };
    const off = this.on(collect);
    try {
      const signal = options.signal ?? new AbortController().signal;
      const result = await this.#session.agent.runTurn([prompt], signal);
      return { text: result.lastMessage, turnId: result.turnId, items, usage };
    } finally {
      off();
    }
  }

  /**
   * The events of one turn as an async iterable; it ends after the turn's last event and throws
   * when the turn fails. Leaving the loop early interrupts the turn.
   */
  async *stream(
    prompt: string,
    options: { signal?: AbortSignal } = {},
  ): AsyncGenerator<AgentEvent> {
    const queue: AgentEvent[] = [];
    let wake: (() => void) | undefined;
    const interrupt = new AbortController();
    const signal = options.signal
      ? AbortSignal.any([options.signal, interrupt.signal])
      : interrupt.signal;
    let finished = false;
    let failure: unknown;
    const turn = this.ask(prompt, {
      signal,
      onEvent: (event) => {
        queue.push(event);
        wake?.();
      },
    }).catch((err) => (failure = err)).finally(() => {
      finished = true;
      wake?.();
    });
    try {
      while (true) {
        while (queue.length > 0) yield queue.shift()!;
        if (finished) break;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
      if (failure !== undefined) throw failure;
    } finally {
      if (!finished) {
        interrupt.abort();
        await turn;
      }
    }
  }

  /** Ends the session: stops running commands, MCP servers and a bridge, closes the rollout. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#session.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
