// A real Agent recording its rollout, shared by rollout_test.ts and the child process its crash
// test kills (run as a script: `deno run -A recorded_agent.ts <codex_home> <cwd> <base_url> <prompt>`).
import process from "node:process";
import { FakeResponsesServer, parseScenario, type ScenarioInput } from "../../fake/mod.ts";
import { ResponsesClient } from "../../model/mod.ts";
import type { ResponseItem } from "../../protocol/mod.ts";
import {
  createSession,
  openSession,
  type RolloutRecorder,
  type TokenInfo,
} from "../../session/mod.ts";
import { execCommandTools, ProcessManager, ToolRegistry } from "../../tools/mod.ts";
import { Agent, type AgentEvent } from "../agent.ts";
import { rolloutListener } from "../rollout.ts";

export const MODEL = "gpt-5.1-codex";

/** Upstream's scenario b: exec_command `echo hi; ls`, then a final answer. */
export const LIST_FILES: ScenarioInput = {
  responses: [
    {
      output: [{
        type: "function_call",
        call_id: "call_1",
        name: "exec_command",
        arguments: { cmd: "echo hi; ls" },
      }],
    },
    { output: [{ type: "message", text: "All done." }] },
  ],
};

/** A started fake Responses server for `scenario`. */
export async function fakeServer(scenario: ScenarioInput): Promise<FakeResponsesServer> {
  const fake = new FakeResponsesServer(parseScenario(scenario));
  await fake.start();
  return fake;
}

/** Today in UTC, as upstream run with TZ=UTC sees it; resuming with another date adds context. */
export const TODAY = { currentDate: new Date().toISOString().slice(0, 10), timezone: "Etc/UTC" };

/** Context items shaped like upstream's: a developer message, then the environment context. */
export function contextItems(cwd: string): ResponseItem[] {
  const environment = [
    "<environment_context>",
    `  <cwd>${cwd}</cwd>`,
    "  <shell>bash</shell>",
    `  <current_date>${TODAY.currentDate}</current_date>`,
    `  <timezone>${TODAY.timezone}</timezone>`,
    "</environment_context>",
  ].join("\n");
  return [
    {
      type: "message",
      role: "developer",
      content: [{
        type: "input_text",
        text: "<permissions instructions>\nours\n</permissions instructions>",
      }],
    },
    { type: "message", role: "user", content: [{ type: "input_text", text: environment }] },
  ];
}

export interface RecordedAgent {
  agent: Agent;
  recorder: RolloutRecorder;
  path: string;
  events: AgentEvent[];
  processes: ProcessManager;
  close(): void;
}

interface Start {
  codexHome: string;
  cwd: string;
  baseUrl: string;
  /** Resume the most recent session of `cwd` instead of starting one. */
  resume?: boolean;
  onEvent?: (event: AgentEvent) => void;
  /** Compact before a request once the last response used this many tokens. */
  autoCompactTokenLimit?: number;
}

export async function startRecordedAgent(start: Start): Promise<RecordedAgent> {
  let session: { sessionId: string; path: string; recorder: RolloutRecorder };
  let history: ResponseItem[] | undefined;
  let tokenInfo: TokenInfo | null = null;
  if (start.resume) {
    const opened = await openSession(start.codexHome, { last: true, cwd: start.cwd });
    ({ history, tokenInfo } = opened);
    session = opened;
  } else {
    session = await createSession({
      codexHome: start.codexHome,
      cwd: start.cwd,
      originator: "codex_exec",
      cliVersion: "0.1.0",
      source: "exec",
      modelProvider: "fake",
      baseInstructions: "test instructions",
    });
  }
  const listener = rolloutListener({
    recorder: session.recorder,
    turnSettings: {
      cwd: start.cwd,
      ...TODAY,
      approvalPolicy: "never",
      sandboxPolicy: { type: "read-only" },
      model: MODEL,
    },
    modelContextWindow: 258_400,
    tokenInfo,
  });
  const events: AgentEvent[] = [];
  const processes = new ProcessManager();
  const agent = new Agent({
    client: new ResponsesClient({
      id: "fake",
      baseUrl: start.baseUrl,
      requestMaxRetries: 0,
      streamIdleTimeoutMs: 10_000,
    }),
    model: MODEL,
    baseInstructions: "test instructions",
    tools: new ToolRegistry(execCommandTools(processes)),
    cwd: start.cwd,
    sessionId: session.sessionId,
    maxRetries: 0,
    initialContext: contextItems(start.cwd),
    autoCompactTokenLimit: start.autoCompactTokenLimit,
    onEvent: (event) => {
      listener(event);
      events.push(event);
      start.onEvent?.(event);
    },
  });
  if (history) agent.restoreHistory(history);
  return {
    agent,
    recorder: session.recorder,
    path: session.path,
    events,
    processes,
    close: () => {
      processes.killAll();
      session.recorder.close();
    },
  };
}

if (import.meta.main) {
  const [codexHome, cwd, baseUrl, prompt] = process.argv.slice(2);
  const { agent } = await startRecordedAgent({ codexHome, cwd, baseUrl });
  await agent.runTurn([prompt]);
}
