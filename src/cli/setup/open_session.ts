// What exec, the REPL and a review share: a session opened in named steps, each in a module of its
// own — configuration (or the demo), permissions, rollout, instructions, headers, tools, agent.
import { contextMessage, modelSwitchText } from "../../agent/mod.ts";
import { gitFacts } from "../../system/mod.ts";
import { debugLog, phase } from "../debug_log.ts";
import { startAgent } from "./session_agent.ts";
import { loadConfigurationOrDemo } from "./configuration.ts";
import { bridgeBackend } from "./backend_bridge.ts";
import { requestHeaders } from "./headers.ts";
import {
  instructionsFor,
  sessionInstructions,
  type TurnModel,
  turnSettings,
} from "./instructions.ts";
import type { AgentSession, AgentSessionOptions } from "./options.ts";
import { startMcpServers } from "./session_mcp.ts";
import { decidePermissions } from "./permissions.ts";
import { readResumedSession, SessionRollouts } from "./rollouts.ts";
import { buildTools, outputBudget } from "./session_tools.ts";

export async function openAgentSession(options: AgentSessionOptions): Promise<AgentSession> {
  // Git runs while the configuration loads; the session's metadata and first turn share it.
  const git = gitFacts(options.cwd);
  const debug = debugLog();
  const { config: configured, demo } = await phase(
    "load configuration",
    () => loadConfigurationOrDemo(options),
  );
  const backend = await phase(
    "bridge the backend",
    () => bridgeBackend(configured, options.backend, options.model),
  );
  const { config } = backend;
  const mcp = await phase("start MCP servers", () => startMcpServers(options, config));
  const permissions = await phase(
    "decide permissions",
    () => decidePermissions(options, config, demo !== undefined),
  );
  const model = options.model ?? config.model;
  const resumed = await phase(
    "read the resumed session",
    () => readResumedSession(options, config),
  );
  const describe = instructionsFor(options, config);
  // The tools come first: the instructions describe them, and the rollout records those. Their
  // sub-agents use the rollouts and headers below only when they start, later.
  const tools = await phase("build the tools", () =>
    buildTools({
      options,
      config,
      model,
      permissions,
      headersFor: (id) => headersFor(id),
      rollouts: () => rollouts,
      settingsOf: (turn) => settingsOf(turn),
      instructionsFor: describe,
      mcp,
    }));
  const instructions = sessionInstructions(options, config, model, resumed, tools.tools);
  const rollouts = await phase("open the rollout", () =>
    SessionRollouts.open({
      options,
      config,
      resumed,
      git,
      baseInstructions: instructions.baseInstructions,
      contextWindow: instructions.contextWindow,
    }));
  const settingsOf = (turn: TurnModel) =>
    turnSettings(instructions, permissions, config, options.outputSchema, turn);
  const headersFor = requestHeaders(options, rollouts.sessionId, permissions.sandboxMode, git);
  // The main thread's turn settings; `switchModel` changes the model for the turns after it.
  const mainTurn: TurnModel = {
    model,
    effort: config.reasoningEffort,
    /** Read at each turn: `/plan` switches it between turns. */
    get collaborationMode() {
      return options.collaboration?.kind;
    },
  };
  const record = rollouts.listener(() => settingsOf(mainTurn));
  const agent = startAgent({
    options,
    config,
    model,
    permissions,
    instructions,
    rollouts,
    tools,
    headersFor,
    onEvent: (event) => {
      debug?.onAgentEvent(event);
      try {
        record(event);
      } catch (err) {
        // A line that cannot be written fails the turn (the error goes back into the agent);
        // the screen still hears how the turn ended.
        if (event.type === "turn_failed" || event.type === "turn_interrupted") {
          options.onEvent(event);
        }
        throw err;
      }
      options.onEvent(event);
    },
  });
  return {
    agent,
    contextWindow: instructions.contextWindow,
    rolloutPath: rollouts.path,
    recorder: rollouts.recorder,
    sandboxMode: permissions.sandboxMode,
    approvalPolicy: permissions.approvalPolicy,
    config,
    home: config.home,
    offline: demo !== undefined,
    subAgents: tools.subAgents,
    priorUsage: resumed?.tokenInfo?.total_token_usage,
    mcpStartup: (listener) => {
      if (mcp) mcp.manager.watch(listener);
      else listener({ type: "complete", ready: [], failed: [] });
    },
    switchModel: (next) => {
      if (next === agent.options.model) return;
      agent.options.model = next;
      mainTurn.model = next;
      tools.tools.outputBudget = outputBudget(next, config);
      // Before the first turn there is nothing another model wrote.
      if (agent.history.length === 0) return;
      agent.enqueueInput([
        contextMessage("developer", [modelSwitchText(next, describe(next, tools.tools))]),
      ]);
    },
    close: async () => {
      await tools.close();
      try {
        rollouts.close();
      } finally {
        await demo?.close();
        await backend.close();
      }
    },
  };
}
