// Sub-agents: helper agents the model starts with spawn_agent. Each is a nested Agent with its own
// history and session id, the sub-agent tool subset, the parent's model settings (or the ones the
// call asked for) and an `x-openai-subagent: collab_spawn` header on its requests, as upstream
// sends it. Its turns run one after another; when one ends, the parent gets a
// `<subagent_notification>` user message at its next boundary (the status is set and the
// notification queued before any wait_agent learns of it, so a successful wait is always followed
// by its notification in the next request). The tools themselves live in src/tools/agent_tools.ts.
import { isToolCall, type ResponseItem, uuidv7 } from "../protocol/mod.ts";
import {
  type AgentInput,
  agentNotFound,
  type AgentStatus,
  AgentToolError,
  type SpawnRequest,
  type SubAgentControl,
  subAgentTools,
  type ToolRegistry,
} from "../tools/mod.ts";
import {
  Agent,
  type AgentEvent,
  type AgentOptions,
  SHUTDOWN_REASON,
  TurnInterruptedError,
} from "./agent.ts";
import { withoutCollaborationMode } from "./collaboration.ts";
import { contextMessage } from "./context.ts";

export const SUBAGENT_HEADER = "x-openai-subagent";
export const SUBAGENT_HEADER_VALUE = "collab_spawn";

/** Names for helpers, so the user can tell them apart; picked at random without repeats. */
const NICKNAMES = [
  "Ampere",
  "Archimedes",
  "Avogadro",
  "Babbage",
  "Bernoulli",
  "Bohr",
  "Boltzmann",
  "Boole",
  "Cantor",
  "Carnot",
  "Cauchy",
  "Curie",
  "Darwin",
  "Descartes",
  "Dirac",
  "Euclid",
  "Euler",
  "Faraday",
  "Fermat",
  "Fermi",
  "Feynman",
  "Fourier",
  "Galileo",
  "Gauss",
  "Gibbs",
  "Hamilton",
  "Heisenberg",
  "Hilbert",
  "Hopper",
  "Huygens",
  "Kepler",
  "Lagrange",
  "Laplace",
  "Leibniz",
  "Lovelace",
  "Maxwell",
  "Mendel",
  "Newton",
  "Noether",
  "Pascal",
  "Pauli",
  "Planck",
  "Poincare",
  "Ramanujan",
  "Riemann",
  "Shannon",
  "Tesla",
  "Turing",
  "Volta",
  "Wiener",
];

/** Upstream's default `[agents] max_threads`. */
export const DEFAULT_MAX_THREADS = 6;

export interface SubAgentManagerOptions {
  /** A fresh registry for each sub-agent: upstream's subset (no user input, no sub-agents). */
  childTools: () => ToolRegistry;
  /**
   * The base instructions of a sub-agent with this model and these tools; the parent's when
   * absent. Helpers have fewer tools than their parent, and must not be told about the others.
   */
  childInstructions?: (model: string, tools: ToolRegistry) => string;
  /** The session headers for a sub-agent's own session id; the sub-agent header is added here. */
  childHeaders?: (sessionId: string) => AgentOptions["headers"];
  /** Every event of every sub-agent, for the UI. */
  onChildEvent?: (child: { id: string; nickname: string }, event: AgentEvent) => void;
  /**
   * Starts a new sub-agent's own record (its rollout, as upstream keeps one per sub-agent) before
   * its first turn; the listener returned hears every event of that sub-agent.
   */
  recordChild?: (child: ChildRecordStart) => Promise<(event: AgentEvent) => void>;
  /** wait_agent's shortest timeout; upstream's 10 s by default. */
  minWaitMs?: number;
  /**
   * How many helpers may be open at once (`[agents] max_threads`; upstream's 6 by default): a
   * model could otherwise start any number, each with requests and commands of its own.
   */
  maxThreads?: number;
  /** Ids for new sub-agents (their session ids); UUIDv7 as upstream, fixed ones in tests. */
  newAgentId?: () => string;
}

/** What a sub-agent's record starts with. */
export interface ChildRecordStart {
  id: string;
  nickname: string;
  parentId: string;
  /** The model and reasoning effort it runs with (the spawn call may override the parent's). */
  model: string;
  reasoningEffort?: string;
  baseInstructions: string;
}

interface Child {
  id: string;
  nickname: string;
  agent: Agent;
  status: AgentStatus;
  closed: boolean;
  pending: AgentInput[];
  current?: { abort: AbortController; done: Promise<void> };
}

const isFinal = (status: AgentStatus) =>
  typeof status !== "string" || status === "shutdown" || status === "not_found";

/** The parent's history minus tool calls without outputs (and outputs without calls). */
export function forkedHistory(history: readonly ResponseItem[]): ResponseItem[] {
  const calls = new Set(history.filter(isToolCall).map((call) => call.call_id));
  const isOutput = (item: ResponseItem) => item.type.endsWith("_call_output");
  const answered = new Set(history.filter(isOutput).map((item) => String(item.call_id)));
  return history.filter((item) =>
    isToolCall(item)
      ? answered.has(item.call_id)
      : isOutput(item)
      ? calls.has(String(item.call_id))
      : true
  );
}

export function subagentNotification(agentId: string, status: AgentStatus): ResponseItem {
  const text = `<subagent_notification>\n${
    JSON.stringify({ agent_id: agentId, status })
  }\n</subagent_notification>`;
  return contextMessage("user", [text]);
}

/** The session headers with the sub-agent marker right after `session_id`, where upstream puts it. */
function withSubagentHeader(headers: AgentOptions["headers"]): AgentOptions["headers"] {
  return async (context) => {
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(await headers?.(context) ?? {})) {
      out[name] = value;
      if (name === "session_id") out[SUBAGENT_HEADER] = SUBAGENT_HEADER_VALUE;
    }
    out[SUBAGENT_HEADER] = SUBAGENT_HEADER_VALUE;
    return out;
  };
}

function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Runs the sub-agents of one parent agent and answers the sub-agent tools for it. */
export class SubAgentManager implements SubAgentControl {
  readonly #children = new Map<string, Child>();
  readonly #wakers = new Set<() => void>();
  #names = shuffled(NICKNAMES);
  #spawned = 0;
  /** Spawns under way, not yet among the children. */
  #opening = 0;
  #parent?: Agent;

  constructor(readonly options: SubAgentManagerOptions) {}

  /** The agent whose helpers these are; its tools must come from `register`. */
  attach(parent: Agent): void {
    this.#parent = parent;
  }

  /** Declares spawn_agent, send_input, resume_agent, wait_agent and close_agent in `registry`. */
  register(registry: ToolRegistry): void {
    for (const tool of subAgentTools(this, { minWaitMs: this.options.minWaitMs })) {
      registry.register(tool);
    }
  }

  get #parentAgent(): Agent {
    if (!this.#parent) throw new Error("SubAgentManager used before attach()");
    return this.#parent;
  }

  get threadId(): string {
    return this.#parentAgent.sessionId;
  }

  #nickname(): string {
    const round = Math.floor(this.#spawned / NICKNAMES.length);
    if (this.#names.length === 0) this.#names = shuffled(NICKNAMES);
    const name = this.#names.pop()!;
    this.#spawned++;
    return round === 0 ? name : `${name} ${round + 1}`;
  }

  /** Refuses a helper over the thread limit; helpers still being opened count. */
  #checkLimit(): void {
    const max = this.options.maxThreads ?? DEFAULT_MAX_THREADS;
    const open = [...this.#children.values()].filter((child) => !child.closed).length;
    if (open + this.#opening >= max) {
      throw new AgentToolError(`collab spawn failed: agent thread limit reached (max ${max})`);
    }
  }

  async spawn(request: SpawnRequest): Promise<{ agentId: string; nickname: string }> {
    this.#checkLimit();
    this.#opening++;
    try {
      return await this.#spawn(request);
    } finally {
      this.#opening--;
    }
  }

  async #spawn(request: SpawnRequest): Promise<{ agentId: string; nickname: string }> {
    const parent = this.#parentAgent;
    const base = parent.options;
    const id = this.options.newAgentId?.() ?? uuidv7();
    const nickname = this.#nickname();
    const model = request.model ?? base.model;
    const tools = this.options.childTools();
    const baseInstructions = this.options.childInstructions?.(model, tools) ??
      base.baseInstructions;
    const record = await this.options.recordChild?.({
      id,
      nickname,
      parentId: parent.sessionId,
      model,
      reasoningEffort: request.reasoningEffort ?? base.modelSettings?.reasoningEffort,
      baseInstructions,
    });
    const agent = new Agent({
      ...base,
      sessionId: id,
      model,
      baseInstructions,
      modelSettings: {
        ...base.modelSettings,
        ...(request.reasoningEffort ? { reasoningEffort: request.reasoningEffort } : {}),
      },
      tools,
      initialContext: withoutCollaborationMode(base.initialContext ?? []),
      headers: withSubagentHeader(this.options.childHeaders?.(id)),
      // Grants are the parent's; a helper's turns must not end them.
      permissionGrants: undefined,
      onEvent: (event) => {
        record?.(event);
        this.options.onChildEvent?.({ id, nickname }, event);
      },
    });
    const child: Child = {
      id,
      nickname,
      agent,
      status: "pending_init",
      closed: false,
      pending: [request.input],
    };
    // Upstream lays the forked conversation first; the helper's own context follows it.
    if (request.forkContext) agent.history.push(...forkedHistory(parent.history));
    this.#children.set(id, child);
    this.#pump(child);
    return { agentId: id, nickname };
  }

  #open(id: string): Child {
    const child = this.#children.get(id);
    if (!child || child.closed) throw new AgentToolError(agentNotFound(id));
    return child;
  }

  send(id: string, input: AgentInput, interrupt: boolean): { submissionId: string } {
    const child = this.#open(id);
    const steerable = interrupt && child.current && input.images.length === 0;
    if (steerable) { for (const text of input.texts) child.agent.steer(text); }
    else {
      child.pending.push(input);
      this.#pump(child);
    }
    return { submissionId: uuidv7() };
  }

  resume(id: string): AgentStatus {
    const child = this.#children.get(id);
    if (!child) throw new AgentToolError(agentNotFound(id));
    if (child.closed) {
      this.#checkLimit();
      child.closed = false;
      child.status = "pending_init";
    }
    return child.status;
  }

  status(id: string): AgentStatus {
    const child = this.#children.get(id);
    return !child || child.closed ? "not_found" : child.status;
  }

  wait(
    ids: string[],
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<{ status: Record<string, AgentStatus>; timedOut: boolean }> {
    const finished = () => {
      const status: Record<string, AgentStatus> = {};
      for (const id of ids) {
        const current = this.status(id);
        if (isFinal(current)) status[id] = current;
      }
      return Object.keys(status).length > 0 ? status : undefined;
    };
    const now = finished();
    if (now || signal.aborted) return Promise.resolve({ status: now ?? {}, timedOut: !now });
    return new Promise((resolve) => {
      const settle = (status: Record<string, AgentStatus> | undefined) => {
        clearTimeout(timer);
        this.#wakers.delete(check);
        signal.removeEventListener("abort", onAbort);
        resolve({ status: status ?? {}, timedOut: !status });
      };
      const check = () => {
        const status = finished();
        if (status) settle(status);
      };
      const onAbort = () => settle(undefined);
      const timer = setTimeout(onAbort, timeoutMs);
      this.#wakers.add(check);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  async close(id: string): Promise<AgentStatus> {
    const child = this.#open(id);
    const previous = child.status;
    child.closed = true;
    child.pending = [];
    if (child.current) {
      child.current.abort.abort(SHUTDOWN_REASON);
      await child.current.done;
    } else child.status = "shutdown";
    this.#wake();
    return previous;
  }

  /** Stops every helper; for the end of the session. */
  async shutdown(): Promise<void> {
    await Promise.all(
      [...this.#children.values()].filter((c) => !c.closed).map((c) => this.close(c.id)),
    );
  }

  #wake(): void {
    for (const check of [...this.#wakers]) check();
  }

  #pump(child: Child): void {
    if (child.current || child.closed) return;
    const input = child.pending.shift();
    if (!input) return;
    const abort = new AbortController();
    child.status = "running";
    const done = child.agent.runTurn(input.texts, abort.signal, input.images).then(
      (result): AgentStatus => ({ completed: result.lastMessage }),
      (err): AgentStatus =>
        err instanceof TurnInterruptedError ? "shutdown" : { errored: (err as Error).message },
    ).then((status) => {
      child.current = undefined;
      child.status = status;
      // The notification is queued before any waiter hears of the status (see the header).
      this.#parentAgent.enqueueInput([subagentNotification(child.id, status)]);
      this.#wake();
      this.#pump(child);
    });
    child.current = { abort, done };
  }
}
