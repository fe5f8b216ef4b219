// Collaboration modes: how the agent works with the user. Default mode gets on with the task;
// Plan mode explores, asks (request_user_input is available only there) and proposes a plan
// instead of changing anything. The mode's instructions are a `<collaboration_mode>` section of
// the developer message (after the developer instructions, as upstream places it); a switch
// mid-session sends the new mode's section as a developer message at the start of the next turn.
// The wording is our own.
import type { ResponseItem } from "../protocol/mod.ts";
import type { Agent } from "./agent.ts";
import { contextMessage } from "./context.ts";

export type CollaborationModeKind = "default" | "plan";

export interface CollaborationModeSpec {
  kind: CollaborationModeKind;
  /** The name users and the model see ("Default", "Plan"). */
  name: string;
  allowsUserInput: boolean;
  instructions: string;
  /** The reasoning effort the mode asks for (recorded with each turn), or null for the model's. */
  effort: string | null;
}

const DEFAULT_INSTRUCTIONS = `# Collaboration Mode: Default

You are in Default mode: carry the task through to the end on your own. When something is
unclear, make the most reasonable assumption, say which one you made, and keep going; ask the
user in your reply only when you are truly blocked. The request_user_input tool is unavailable in
Default mode and returns an error if you call it.`;

const PLAN_INSTRUCTIONS = `# Collaboration Mode: Plan

You are in Plan mode: work out what should be done, not do it yet.
- Explore freely with read-only means: read files, search, run commands that change nothing.
- Do not edit files, apply patches or run anything that changes the workspace or the system.
- When a decision is the user's to make (scope, trade-offs, naming, risky steps), ask with the
  request_user_input tool: one to three short questions, each with two or three concrete options,
  the one you recommend first.
- Finish with a plan the user can approve: the steps in order, the files each one touches, how to
  verify the result, and the open risks. The user leaves Plan mode when they want it carried out.`;

export const COLLABORATION_MODES: Record<CollaborationModeKind, CollaborationModeSpec> = {
  default: {
    kind: "default",
    name: "Default",
    allowsUserInput: false,
    instructions: DEFAULT_INSTRUCTIONS,
    effort: null,
  },
  // Upstream's Plan preset runs at medium effort.
  plan: {
    kind: "plan",
    name: "Plan",
    allowsUserInput: true,
    instructions: PLAN_INSTRUCTIONS,
    effort: "medium",
  },
};

/** The developer-message section that states a mode. */
export function collaborationModeText(kind: CollaborationModeKind): string {
  return `<collaboration_mode>${COLLABORATION_MODES[kind].instructions}\n</collaboration_mode>`;
}

const SECTION_START = "<collaboration_mode>";

/**
 * Context items without their collaboration-mode sections: sub-agents start from the session's
 * context but work in no particular mode, as upstream's do.
 */
export function withoutCollaborationMode(items: readonly ResponseItem[]): ResponseItem[] {
  return items.flatMap((item) => {
    if (item.type !== "message" || !Array.isArray(item.content)) return [item];
    const content = (item.content as Array<{ text?: unknown }>).filter((part) =>
      typeof part.text !== "string" || !part.text.startsWith(SECTION_START)
    );
    if (content.length === item.content.length) return [item];
    return content.length > 0 ? [{ ...item, content } as ResponseItem] : [];
  });
}

/** Context items whose collaboration-mode section (where there is one) states `text` instead. */
export function withCollaborationMode(
  items: readonly ResponseItem[],
  text: string,
): ResponseItem[] {
  return items.map((item) => {
    if (item.type !== "message" || !Array.isArray(item.content)) return item;
    const parts = item.content as Array<{ text?: unknown }>;
    if (
      !parts.some((part) => typeof part.text === "string" && part.text.startsWith(SECTION_START))
    ) {
      return item;
    }
    const content = parts.map((part) =>
      typeof part.text === "string" && part.text.startsWith(SECTION_START)
        ? { ...part, text }
        : part
    );
    return { ...item, content } as ResponseItem;
  });
}

/** The session's current mode; request_user_input and the REPL read it, `/plan` switches it. */
export class CollaborationMode {
  #kind: CollaborationModeKind;

  constructor(kind: CollaborationModeKind = "default") {
    this.#kind = kind;
  }

  get kind(): CollaborationModeKind {
    return this.#kind;
  }

  get spec(): CollaborationModeSpec {
    return COLLABORATION_MODES[this.#kind];
  }

  /** request_user_input's view of the mode. */
  readonly userInputMode = () => ({
    name: this.spec.name,
    allowsUserInput: this.spec.allowsUserInput,
  });

  /**
   * Switches mode; the agent is told at its next turn. Returns false when already in `kind`.
   * Before the first turn the initial context simply states the new mode (as upstream's does);
   * later a developer message announces it. Either way a compaction restates the current mode.
   */
  switchTo(kind: CollaborationModeKind, agent: Agent): boolean {
    if (kind === this.#kind) return false;
    this.#kind = kind;
    const text = collaborationModeText(kind);
    const context = agent.options.initialContext ?? [];
    const restated = withCollaborationMode(context, text);
    const hasSection = restated.some((item, i) => item !== context[i]);
    if (hasSection) agent.options.initialContext = restated;
    if (!hasSection || agent.history.length > 0) {
      agent.enqueueInput([contextMessage("developer", [text])]);
    }
    return true;
  }
}
