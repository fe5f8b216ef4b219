// Shared by the collaboration-tool tests: a scripted backend that serves the main agent and its
// sub-agents from separate scripts (their requests interleave, so one index-based script could not
// say which answer goes to whom), and a real Agent against it in a temp directory.
import { mkdtemp, realpath } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeResponsesServer, parseScenario, type ScenarioInput } from "../../fake/mod.ts";
import { ResponsesClient } from "../../model/mod.ts";
import { serveHttp } from "../../platform/mod.ts";
import type { ResponseItem } from "../../protocol/mod.ts";
import { ProcessManager, type ToolRegistry } from "../../tools/mod.ts";
import { Agent, type AgentEvent, type AgentOptions } from "../agent.ts";
import { SUBAGENT_HEADER } from "../subagents.ts";
import { contextItems } from "./recorded_agent.ts";

type Route = "main" | "sub";

export interface CollabBackend {
  /** Requests without the sub-agent header. */
  main: FakeResponsesServer;
  /** Requests of every sub-agent. */
  sub: FakeResponsesServer;
  baseUrl: string;
  close(): Promise<void>;
}

/**
 * `before` may hold a request back until something else happened (e.g. the main agent's next
 * request until a sub-agent's first one arrived), so a test can fix an order the network does not.
 */
export async function collabBackend(
  main: ScenarioInput,
  sub: ScenarioInput = { responses: [{ output: [] }] },
  before?: (route: Route, servers: Record<Route, FakeResponsesServer>) => Promise<void>,
): Promise<CollabBackend> {
  const servers = {
    main: new FakeResponsesServer(parseScenario(main)),
    sub: new FakeResponsesServer(parseScenario(sub)),
  };
  const http = await serveHttp({ port: 0, hostname: "127.0.0.1" }, async (request) => {
    const route = request.headers.has(SUBAGENT_HEADER) ? "sub" : "main";
    await before?.(route, servers);
    return await servers[route].handle(request);
  });
  return {
    ...servers,
    baseUrl: `${http.url}/v1`,
    close: async () => {
      await http.close();
      // Neither script was started on a port of its own: closing them checks what they received.
      await servers.main.close();
      await servers.sub.close();
    },
  };
}

/** A promise with its resolver outside, for tests that must hold something until a moment. */
export function deferred<T = void>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

export interface CollabAgent {
  agent: Agent;
  events: AgentEvent[];
  cwd: string;
  processes: ProcessManager;
  /** The `input` of each request the main agent sent. */
  inputs(): ResponseItem[][];
  /** Ends the agent's commands and the backend. */
  close(): Promise<void>;
}

export async function collabAgent(
  backend: CollabBackend,
  tools: (processes: ProcessManager) => ToolRegistry,
  options: Partial<AgentOptions> = {},
): Promise<CollabAgent> {
  const cwd = await realpath(await mkdtemp(join(tmpdir(), "collab-test-")));
  const processes = new ProcessManager();
  const events: AgentEvent[] = [];
  const agent = new Agent({
    client: new ResponsesClient({ baseUrl: backend.baseUrl, streamIdleTimeoutMs: 10_000 }),
    model: "gpt-5.1-codex",
    baseInstructions: "base",
    tools: tools(processes),
    cwd,
    maxRetries: 0,
    initialContext: contextItems(cwd),
    onEvent: (event) => events.push(event),
    ...options,
  });
  return {
    agent,
    events,
    cwd,
    processes,
    inputs: () =>
      backend.main.requests.map((request) => (request.body as { input: ResponseItem[] }).input),
    close: async () => {
      processes.killAll();
      await backend.close();
    },
  };
}

/** The text of a message item's parts, joined; undefined for other items. */
export function textOf(item: ResponseItem | undefined): string | undefined {
  if (item?.type !== "message" || !Array.isArray(item.content)) return undefined;
  return (item.content as Array<{ text?: string }>).map((part) => part.text ?? "").join("");
}

/** The output of `callId` in a request's input. */
export function outputOf(input: ResponseItem[], callId: string): unknown {
  return input.find((item) => item.type.endsWith("_call_output") && item.call_id === callId)
    ?.output;
}
