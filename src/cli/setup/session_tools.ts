// Opening a session: the tools the model is offered — the defaults shaped by the model's
// catalog entry and config.toml's feature flags — and the sub-agents that get their own set.
import { join } from "node:path";
import { SubAgentManager } from "../../agent/mod.ts";
import type { Config } from "../../config/mod.ts";
import { modelInfo, type TruncationPolicy } from "../../model/mod.ts";
import {
  CodeCells,
  defaultTools,
  PATCH_JOURNAL_FOLDER,
  PermissionGrants,
  ProcessManager,
  type RecoveredPatch,
  recoverInterruptedPatches,
  type ToolDef,
  type ToolRegistry,
} from "../../tools/mod.ts";
import type { HeadersFor } from "./headers.ts";
import type { AgentSessionOptions } from "./options.ts";
import type { Permissions } from "./permissions.ts";
import type { SessionRollouts } from "./rollouts.ts";
import type { InstructionsFor, TurnModel } from "./instructions.ts";
import type { TurnSettings } from "../../session/mod.ts";
import type { SessionMcp } from "./session_mcp.ts";

export interface SessionTools {
  tools: ToolRegistry;
  subAgents: SubAgentManager;
  permissionGrants: PermissionGrants;
  /** Settles once the MCP servers' tools are registered (at once without servers). */
  ready: Promise<void>;
  /** Ends what the tools left running: sub-agents, code cells, MCP servers, background commands. */
  close(): Promise<void>;
}

/**
 * What the history keeps of one tool output: the model's truncation policy, its limit replaced
 * by `tool_output_token_limit` when set (as bytes, 4 per token, for a byte-counting model).
 */
export function outputBudget(model: string, config: Config): TruncationPolicy {
  const policy = modelInfo(model).truncation;
  const tokens = config.toolOutputTokenLimit;
  if (tokens === undefined) return policy;
  return { mode: policy.mode, limit: policy.mode === "bytes" ? tokens * 4 : tokens };
}

export interface ToolsParts {
  options: AgentSessionOptions;
  config: Config;
  model: string;
  permissions: Permissions;
  /** Sub-agents' requests carry headers of their own thread. */
  headersFor: HeadersFor;
  /**
   * Sub-agents keep rollouts of their own. They start after the main rollout is open, which
   * needs the instructions that describe these tools: hence a getter.
   */
  rollouts: () => SessionRollouts;
  /** A sub-agent's base instructions, for its own model and tools. */
  instructionsFor: InstructionsFor;
  /** What a sub-agent's turns record as their settings. */
  settingsOf: (turn: TurnModel) => TurnSettings;
  /** The session's MCP servers, when config.toml names some. */
  mcp?: SessionMcp;
}

/** Says what was rolled back of patches a dead process left half-applied. */
function reportRecovered(recovered: RecoveredPatch[], notice: (text: string) => void): void {
  for (const patch of recovered) {
    const lines = [
      `tscodex: an apply_patch was cut short when its process died; ` +
      `rolled back ${patch.restored.length} file(s)` +
      (patch.restored.length ? `: ${patch.restored.join(", ")}` : ""),
    ];
    if (patch.kept.length) {
      lines.push(`tscodex: left as they are (changed since): ${patch.kept.join(", ")}`);
    }
    notice(lines.join("\n"));
  }
}

export function buildTools(parts: ToolsParts): SessionTools {
  const { options, config, model, permissions, headersFor, rollouts, settingsOf, mcp } = parts;
  // Commands, terminals and code cells — the main thread's and the sub-agents' — all start from
  // the environment the shell environment policy lets through.
  const processes = new ProcessManager({ shellEnvironment: config.shellEnvironment });
  // Upstream's feature flags: sub-agents are on unless disabled, the others opt-in.
  const { features } = config;
  const codeCells = features.code_mode
    ? new CodeCells({ environment: () => processes.environment() })
    : undefined;
  const permissionGrants = new PermissionGrants();
  const collaboration = options.collaboration;
  // A patch a dead process left half-applied is rolled back before the model sees the files.
  const patchJournal = join(config.home, PATCH_JOURNAL_FOLDER);
  reportRecovered(recoverInterruptedPatches(patchJournal), options.notice);
  // What the model decides about the tools: the output budget, and whether apply_patch is
  // offered (its catalog entry decides, as upstream's; the apply_patch_freeform feature adds it).
  const modelTools = {
    outputBudget: outputBudget(model, config),
    // Without a sandbox the search is live, as upstream makes it; otherwise the cached index
    // unless `web_search = "live"`.
    webSearch: config.webSearch === "disabled" ? false as const : {
      externalWebAccess: config.webSearch === "live" ||
        permissions.sandboxMode === "danger-full-access",
    },
    applyPatch: features.apply_patch_freeform || modelInfo(model).applyPatch
      ? "freeform" as const
      : false as const,
    afterCommands: mcp?.resourceTools,
    // `unified_exec` off: the one-shot shell_command instead of exec_command and write_stdin.
    unifiedExec: features.unified_exec !== false,
    // Journals where the sandbox keeps them read-only (permissions.ts) and recovery looks.
    patchJournal,
  };
  const tools = defaultTools(processes, {
    ...modelTools,
    ...(collaboration
      ? { userInput: { mode: collaboration.userInputMode, handler: options.askUser } }
      : {}),
    ...(features.request_permissions_tool
      ? { requestPermissions: { handler: options.askPermissions, grants: permissionGrants } }
      : {}),
    ...(codeCells ? { codeMode: codeCells } : {}),
  });
  for (const tool of options.extraTools ?? []) tools.register(tool);
  // The servers' tools come last, once known; sub-agents (spawned during a turn) get them too.
  let mcpTools: ToolDef[] = [];
  const ready = (mcp?.tools ?? Promise.resolve([])).then((defs) => {
    mcpTools = defs;
    for (const tool of defs) tools.register(tool);
  });
  const subAgents = new SubAgentManager({
    childTools: () => {
      const child = defaultTools(processes, { userInput: false, ...modelTools });
      for (const tool of mcpTools) child.register(tool);
      return child;
    },
    childInstructions: parts.instructionsFor,
    childHeaders: headersFor,
    onChildEvent: options.onSubAgentEvent,
    maxThreads: config.agentMaxThreads,
    recordChild: (child) =>
      rollouts().child(
        child,
        () => settingsOf({ model: child.model, effort: child.reasoningEffort }),
      ),
  });
  if (features.multi_agent !== false) subAgents.register(tools);
  const onlyTools = options.onlyTools;
  if (onlyTools) tools.retain((name) => onlyTools.includes(name));
  return {
    tools,
    subAgents,
    permissionGrants,
    ready,
    close: async () => {
      await subAgents.shutdown();
      await codeCells?.close();
      await mcp?.manager.close();
      processes.killAll();
    },
  };
}
