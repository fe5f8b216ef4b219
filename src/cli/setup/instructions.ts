// Opening a session: what every turn tells the model about itself and the machine — the base
// instructions, the user's AGENTS.md, the environment — and the facts each turn records.
import {
  baseInstructions,
  COLLABORATION_MODES,
  type CollaborationModeKind,
  type EnvironmentFacts,
  environmentFacts,
  userInstructions,
} from "../../agent/mod.ts";
import type { Config } from "../../config/mod.ts";
import { modelInfo } from "../../model/mod.ts";
import type { OpenedSession, TurnSettings } from "../../session/mod.ts";
import { defaultShell, type ToolRegistry } from "../../tools/mod.ts";
import type { AgentSessionOptions } from "./options.ts";
import { type Permissions, recordedSandboxPolicy } from "./permissions.ts";

export interface SessionInstructions {
  cwd: string;
  environment: EnvironmentFacts;
  baseInstructions: string;
  /** The AGENTS.md text (CODEX_HOME's and the project's), when there is one. */
  agentsMd?: string;
  /** The usable context window in tokens, recorded with every turn. */
  contextWindow: number;
}

/** The model a turn uses and how: the main thread's changes with `/model` and `/plan`. */
export interface TurnModel {
  model: string;
  effort?: string;
  collaborationMode?: CollaborationModeKind;
}

/** The base instructions of a thread with this model and these tools. */
export type InstructionsFor = (model: string, tools: ToolRegistry) => string;

/**
 * `--system-prompt`, else config.toml's `base_instructions` or `model_instructions_file`, else
 * ours for the model's family, the personality setting and the tools the thread declares.
 */
export function instructionsFor(options: AgentSessionOptions, config: Config): InstructionsFor {
  return (model, tools) =>
    options.systemPrompt ?? config.baseInstructions ??
      baseInstructions({ model, personality: config.personality, tools });
}

export function sessionInstructions(
  options: AgentSessionOptions,
  config: Config,
  model: string,
  resumed: OpenedSession | undefined,
  tools: ToolRegistry,
): SessionInstructions {
  const { cwd } = options;
  return {
    cwd,
    environment: environmentFacts(cwd, defaultShell()),
    // A resumed session keeps the instructions it was recorded with, as upstream does.
    baseInstructions: options.systemPrompt ?? resumed?.meta?.base_instructions?.text ??
      instructionsFor(options, config)(model, tools),
    agentsMd: userInstructions(cwd, {
      codexHome: config.home,
      configured: config.userInstructions,
      maxBytes: config.projectDocMaxBytes,
    }),
    // Upstream reports 95% of the model's window as usable.
    contextWindow: Math.floor((config.contextWindow ?? modelInfo(model).contextWindow) * 0.95),
  };
}

/** What `turn_context` records for a turn of this session. */
export function turnSettings(
  instructions: SessionInstructions,
  permissions: Permissions,
  config: Config,
  outputSchema: unknown,
  turn: TurnModel,
): TurnSettings {
  const mode = turn.collaborationMode && COLLABORATION_MODES[turn.collaborationMode];
  return {
    collaborationMode: turn.collaborationMode,
    // Where there are modes, the turn records the mode's instructions and effort.
    ...(mode ? { developerInstructions: mode.instructions } : {}),
    cwd: instructions.cwd,
    currentDate: instructions.environment.currentDate,
    timezone: instructions.environment.timezone,
    approvalPolicy: permissions.approvalPolicy,
    sandboxPolicy: recordedSandboxPolicy(permissions.sandbox),
    model: turn.model,
    effort: mode?.effort ?? turn.effort ?? null,
    summary: config.reasoningSummary ?? "auto",
    userInstructions: instructions.agentsMd ?? null,
    configDeveloperInstructions: config.developerInstructions,
    outputSchema,
    truncationPolicy: modelInfo(turn.model).truncation,
  };
}
