// The sub-agent tools: spawn_agent, send_input, resume_agent, wait_agent, close_agent. This module
// declares them (upstream 0.115.0's parameters), validates their arguments with upstream's error
// texts and formats their replies as upstream's compact JSON; the agents themselves are run by a
// controller the agent layer injects (src/agent/subagents.ts), since tools must not know agents.
import { extname, resolve } from "node:path";
import { Buffer } from "node:buffer";
import { z } from "zod";
import { ReasoningEffort } from "../config/mod.ts";
import { type CollabCall, defineFunctionTool, type ToolContext, type ToolDef } from "./registry.ts";
import { readLocalImage } from "./view_image.ts";

/** A sub-agent's state as the model sees it: a word, or an object carrying the final text. */
export type AgentStatus =
  | "pending_init"
  | "running"
  | "shutdown"
  | "not_found"
  | { completed: string | null }
  | { errored: string };

/** Input for a sub-agent's turn: text parts and images (data or web URLs). */
export interface AgentInput {
  texts: string[];
  images: string[];
}

export interface SpawnRequest {
  input: AgentInput;
  /** Start from the parent's conversation (its answered tool calls included). */
  forkContext: boolean;
  model?: string;
  reasoningEffort?: ReasoningEffort;
  agentType?: string;
}

/** Thrown by a controller for a request the model can correct; its message is the reply. */
export class AgentToolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AgentToolError";
  }
}

export const agentNotFound = (id: string) => `agent with id ${id} not found`;

/** What the tools need from whoever runs the sub-agents. */
export interface SubAgentControl {
  /** The calling agent's thread id, for the UI. */
  readonly threadId: string;
  spawn(request: SpawnRequest): Promise<{ agentId: string; nickname: string }>;
  /** With `interrupt`, the input joins the running turn; otherwise it waits for a turn of its own. */
  send(id: string, input: AgentInput, interrupt: boolean): { submissionId: string };
  /** Reopens a closed agent with its conversation intact. */
  resume(id: string): AgentStatus;
  /** Settles once any of `ids` is final (its status only for those), or with none on timeout. */
  wait(
    ids: string[],
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<{ status: Record<string, AgentStatus>; timedOut: boolean }>;
  /** Stops the agent (interrupting its turn) and returns the status it had. */
  close(id: string): Promise<AgentStatus>;
  status(id: string): AgentStatus;
}

export interface SubAgentToolsOptions {
  /** wait_agent's shortest timeout; upstream clamps to 10 s, tests go lower. */
  minWaitMs?: number;
}

export const DEFAULT_WAIT_MS = 30_000;
export const MIN_WAIT_MS = 10_000;
export const MAX_WAIT_MS = 3_600_000;

const NO_INPUT = "Provide one of: message or items";
const BOTH_INPUTS = "Provide either message or items, but not both";

const InputItem = z.object({
  image_url: z.string().describe("For type image: the image's URL.").optional(),
  name: z.string().describe("For type skill or mention: its name.").optional(),
  path: z.string().describe(
    "For type local_image: the image file; for skill or mention: where it is defined.",
  ).optional(),
  text: z.string().describe("For type text: the text.").optional(),
  type: z.string().describe("One of text, image, local_image, skill, mention.").optional(),
});

const items = z.array(InputItem).describe(
  "The input as typed items, for images or mixed content; give this or message, not both.",
).optional();

const SpawnArgs = z.object({
  agent_type: z.string().describe(
    "The kind of helper wanted; accepted for compatibility, every helper gets the same tools.",
  ).optional(),
  fork_context: z.boolean().describe(
    "Start the helper from a copy of this conversation instead of a blank one, so it knows " +
      "what was said and done so far.",
  ).optional(),
  items,
  message: z.string().describe("The helper's task, as plain text.").optional(),
  model: z.string().describe("Model for the helper; this session's model by default.")
    .optional(),
  reasoning_effort: z.string().describe(
    "Reasoning effort for the helper (low, medium, high, …); this session's by default.",
  ).optional(),
});

const SendArgs = z.object({
  id: z.string().describe("The helper's agent_id."),
  interrupt: z.boolean().describe(
    "True to put the input into the helper's running turn at its next step; false (the " +
      "default) to run it as a new turn once the current one ends.",
  ).optional(),
  items,
  message: z.string().describe("What to tell the helper, as plain text.").optional(),
});

const IdArgs = (what: string) => z.object({ id: z.string().describe(what) });

const WaitArgs = z.object({
  ids: z.array(z.string()).describe("agent_ids to wait on; the first to finish ends the wait."),
  timeout_ms: z.number().describe(
    "Longest wait in milliseconds: 30000 by default, at least 10000, at most 3600000.",
  ).optional(),
});

const SPAWN_DESCRIPTION = [
  "Start a helper agent that works on a task in parallel with you, with its own conversation",
  "and the command, patch, plan, web search and image tools (it cannot start helpers itself).",
  "The reply carries its agent_id and a nickname; the helper starts at once. Use helpers for",
  "independent, well-specified pieces of work — a focused investigation, a self-contained change",
  "— and keep the critical path yourself. Give each helper everything it needs in its message:",
  "it sees nothing of this conversation unless fork_context is true. When a helper finishes, a",
  "<subagent_notification> message with its status and final answer arrives in this",
  "conversation; wait_agent blocks until one of the given helpers is done. Close helpers you no",
  "longer need with close_agent.",
].join(" ");

const SEND_DESCRIPTION = "Send more input to a helper agent. By default it becomes the helper's " +
  "next turn; with interrupt it joins the turn in progress. The reply gives a submission_id.";

const RESUME_DESCRIPTION =
  "Reopen a helper agent closed with close_agent, keeping its conversation; " +
  "then send_input gives it work again.";

const WAIT_DESCRIPTION = "Wait until at least one of the given helper agents has finished " +
  "(completed, errored, closed or unknown), or the timeout passes. The reply maps each finished " +
  "agent_id to its status; timed_out is true when none finished in time. Prefer a long timeout " +
  "over polling.";

const CLOSE_DESCRIPTION = "Stop a helper agent, interrupting whatever it is doing, and free it. " +
  "The reply gives the status it had. resume_agent can reopen it later.";

function statusWord(status: AgentStatus): { status: string; message: string | null } {
  if (typeof status === "string") return { status, message: null };
  if ("completed" in status) return { status: "completed", message: status.completed };
  return { status: "errored", message: status.errored };
}

const IMAGE_TYPES: Record<string, string> = {
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
};

/**
 * A message or items as input parts: text items are texts, image and local_image items images;
 * skill and mention items carry nothing a plain agent could use and are dropped, as upstream does.
 */
async function agentInput(
  args: { message?: string; items?: z.infer<typeof InputItem>[] },
  cwd: string,
): Promise<AgentInput | string> {
  if (args.message !== undefined && args.items !== undefined) return BOTH_INPUTS;
  if (args.message !== undefined) {
    return args.message.trim() ? { texts: [args.message], images: [] } : NO_INPUT;
  }
  if (!args.items || args.items.length === 0) return NO_INPUT;
  const input: AgentInput = { texts: [], images: [] };
  for (const item of args.items) {
    if (item.type === "text" && item.text !== undefined) input.texts.push(item.text);
    else if (item.type === "image" && item.image_url) input.images.push(item.image_url);
    else if (item.type === "local_image" && item.path) {
      const path = resolve(cwd, item.path);
      const mime = IMAGE_TYPES[extname(path).toLowerCase()];
      if (!mime) return `unsupported image type for \`${path}\``;
      const bytes = await readLocalImage(path, "spawn_agent");
      if (typeof bytes === "string") return bytes;
      input.images.push(`data:${mime};base64,${Buffer.from(bytes).toString("base64")}`);
    }
  }
  return input;
}

function promptOf(input: AgentInput): string {
  return input.texts.join("\n\n");
}

/** Reports a collab call to the UI as upstream's item: begun, then ended with states. */
function reporter(ctx: ToolContext, control: SubAgentControl, tool: CollabCall["tool"]) {
  const base = { tool, senderThreadId: control.threadId };
  return (
    receiverThreadIds: string[],
    prompt: string | null,
    agentsStates: CollabCall["agentsStates"] = {},
    status: CollabCall["status"] = "in_progress",
  ) =>
    ctx.onEvent?.({
      type: "collab_call",
      callId: ctx.callId,
      call: { ...base, receiverThreadIds, prompt, agentsStates, status },
    });
}

/** Runs a controller call; its AgentToolError becomes the reply, after `failed` is told. */
async function replying(work: () => Promise<string>, failed?: () => void): Promise<string> {
  try {
    return await work();
  } catch (err) {
    if (!(err instanceof AgentToolError)) throw err;
    failed?.();
    return err.message;
  }
}

export function subAgentTools(
  control: SubAgentControl,
  options: SubAgentToolsOptions = {},
): ToolDef[] {
  const minWaitMs = options.minWaitMs ?? MIN_WAIT_MS;
  const spawn = defineFunctionTool({
    kind: "function",
    name: "spawn_agent",
    description: SPAWN_DESCRIPTION,
    parameters: SpawnArgs,
    async execute(args, ctx) {
      const input = await agentInput(args, ctx.cwd);
      if (typeof input === "string") return input;
      let effort: ReasoningEffort | undefined;
      if (args.reasoning_effort !== undefined) {
        const parsed = ReasoningEffort.safeParse(args.reasoning_effort);
        if (!parsed.success) {
          return `Reasoning effort \`${args.reasoning_effort}\` is not supported. Supported ` +
            `reasoning efforts: ${ReasoningEffort.options.join(", ")}`;
        }
        effort = parsed.data;
      }
      const report = reporter(ctx, control, "spawn_agent");
      const prompt = promptOf(input);
      report([], prompt);
      return await replying(async () => {
        const spawned = await control.spawn({
          input,
          forkContext: args.fork_context ?? false,
          ...(args.model ? { model: args.model } : {}),
          ...(effort ? { reasoningEffort: effort } : {}),
          ...(args.agent_type ? { agentType: args.agent_type } : {}),
        });
        // A new helper is announced as initialising, whatever it has started doing since.
        report([spawned.agentId], prompt, {
          [spawned.agentId]: { status: "pending_init", message: null },
        }, "completed");
        return JSON.stringify({ agent_id: spawned.agentId, nickname: spawned.nickname });
      }, () => report([], prompt, {}, "failed"));
    },
  });

  const send = defineFunctionTool({
    kind: "function",
    name: "send_input",
    description: SEND_DESCRIPTION,
    parameters: SendArgs,
    async execute(args, ctx) {
      const input = await agentInput(args, ctx.cwd);
      if (typeof input === "string") return input;
      const report = reporter(ctx, control, "send_input");
      report([args.id], promptOf(input));
      return await replying(() => {
        const { submissionId } = control.send(args.id, input, args.interrupt ?? false);
        report([args.id], promptOf(input), {
          [args.id]: statusWord(control.status(args.id)),
        }, "completed");
        return Promise.resolve(JSON.stringify({ submission_id: submissionId }));
      }, () => report([args.id], promptOf(input), {}, "failed"));
    },
  });

  const resume = defineFunctionTool({
    kind: "function",
    name: "resume_agent",
    description: RESUME_DESCRIPTION,
    parameters: IdArgs("The agent_id of the helper to reopen."),
    execute(args) {
      return replying(() => Promise.resolve(JSON.stringify({ status: control.resume(args.id) })));
    },
  });

  const wait = defineFunctionTool({
    kind: "function",
    name: "wait_agent",
    description: WAIT_DESCRIPTION,
    parameters: WaitArgs,
    async execute(args, ctx) {
      if (args.ids.length === 0) return "ids must be non-empty";
      const requested = args.timeout_ms ?? DEFAULT_WAIT_MS;
      if (requested <= 0) return "timeout_ms must be greater than zero";
      const timeoutMs = Math.min(Math.max(requested, minWaitMs), MAX_WAIT_MS);
      const report = reporter(ctx, control, "wait");
      report(args.ids, null);
      const result = await control.wait(args.ids, timeoutMs, ctx.signal);
      const states = Object.fromEntries(
        Object.entries(result.status).map(([id, status]) => [id, statusWord(status)]),
      );
      const failed = Object.values(result.status).some((s) => s === "not_found");
      report(args.ids, null, states, failed ? "failed" : "completed");
      return JSON.stringify({ status: result.status, timed_out: result.timedOut });
    },
  });

  const close = defineFunctionTool({
    kind: "function",
    name: "close_agent",
    description: CLOSE_DESCRIPTION,
    parameters: IdArgs("The agent_id of the helper to stop."),
    async execute(args, ctx) {
      const report = reporter(ctx, control, "close_agent");
      report([args.id], null);
      return await replying(async () => {
        const previous = await control.close(args.id);
        report([args.id], null, { [args.id]: statusWord(previous) }, "completed");
        return JSON.stringify({ status: previous });
      }, () => report([args.id], null, {}, "failed"));
    },
  });

  return [spawn, send, resume, wait, close];
}
