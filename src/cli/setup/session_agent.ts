// Opening a session: the agent itself — the client, the first turn's context, the approvals —
// with a resumed session's history restored and told what changed since it was recorded.
import {
  Agent,
  type AgentEvent,
  collaborationModeText,
  type ContextOptions,
  discoverSkills,
  initialContext,
  installSystemSkills,
  settingsUpdateContext,
} from "../../agent/mod.ts";
import type { Config } from "../../config/mod.ts";
import { modelParameters, ResponsesClient } from "../../model/mod.ts";
import { CommandApprovals } from "../../tools/mod.ts";
import { VERSION } from "../version.ts";
import type { HeadersFor } from "./headers.ts";
import type { SessionInstructions } from "./instructions.ts";
import type { AgentSessionOptions } from "./options.ts";
import { type Permissions, recordedSandboxPolicy } from "./permissions.ts";
import type { SessionRollouts } from "./rollouts.ts";
import type { SessionTools } from "./session_tools.ts";

export interface AgentParts {
  options: AgentSessionOptions;
  config: Config;
  model: string;
  permissions: Permissions;
  instructions: SessionInstructions;
  rollouts: SessionRollouts;
  tools: SessionTools;
  headersFor: HeadersFor;
  /** Every event of the main thread goes here (the rollout, then the surface). */
  onEvent: (event: AgentEvent) => void;
}

export function startAgent(parts: AgentParts): Agent {
  const { options, config, model, permissions, instructions, rollouts } = parts;
  const skillsProblem = installSystemSkills(config.home, VERSION);
  if (skillsProblem) options.notice(`tscodex: warning: ${skillsProblem}`);
  const contextOptions: ContextOptions = {
    environment: instructions.environment,
    sandboxMode: permissions.sandboxMode,
    approvalPolicy: permissions.approvalPolicy,
    writableRoots: permissions.writableRoots,
    networkAccess: permissions.sandbox.networkAccess,
    developerInstructions: config.developerInstructions,
    collaborationMode: options.collaboration &&
      collaborationModeText(options.collaboration.kind),
    userInstructions: instructions.agentsMd,
    skills: discoverSkills(config.home),
  };
  const agent = new Agent({
    sessionId: rollouts.sessionId,
    client: new ResponsesClient(config.provider),
    model,
    baseInstructions: instructions.baseInstructions,
    tools: parts.tools.tools,
    cwd: options.cwd,
    maxRetries: config.provider.streamMaxRetries,
    outputSchema: options.outputSchema,
    modelSettings: config,
    parallelToolCalls: modelParameters({ ...config, model }).parallelToolCalls,
    initialContext: initialContext(contextOptions),
    autoCompactTokenLimit: config.autoCompactTokenLimit,
    toolsReady: parts.tools.ready,
    sandbox: permissions.sandbox,
    approvals: new CommandApprovals(permissions.approvalPolicy, options.askApproval),
    permissionGrants: parts.tools.permissionGrants,
    headers: parts.headersFor(rollouts.sessionId),
    onEvent: parts.onEvent,
  });
  const resumed = rollouts.resumed;
  if (resumed) {
    agent.restoreHistory(resumed.history);
    // Settings changed since the recorded turns (sandbox, approvals, model, folder): say so.
    agent.enqueueInput(settingsUpdateContext(resumed.lastTurnContext, {
      options: contextOptions,
      model,
      sandboxPolicy: recordedSandboxPolicy(permissions.sandbox),
      baseInstructions: instructions.baseInstructions,
    }));
  }
  parts.tools.subAgents.attach(agent);
  return agent;
}
