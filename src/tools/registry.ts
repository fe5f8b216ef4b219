// The tool registry: declarations for the request, argument validation, execution with one
// AbortSignal, model-readable errors, and output truncation — each done here once for all tools.
import { z } from "zod";
import type {
  ContentPart,
  CustomToolCallOutputItem,
  FunctionCallOutputItem,
  ResponseItem,
  ToolCallItem,
  ToolOutput,
  ToolSpec,
} from "../protocol/mod.ts";
import { describeArgumentIssues } from "./argument_errors.ts";
import type { CommandApprovals } from "./approvals.ts";
import { type JsonSchema, upstreamJsonSchema } from "./json_schema.ts";
import { checkJsonSyntax, JsonSyntaxError } from "./json_syntax.ts";
import type { SandboxPolicy } from "./sandbox.ts";
import { budgetUsed, type OutputBudget, truncateToBudget } from "./truncate.ts";

export interface PlanStep {
  step: string;
  status: "pending" | "in_progress" | "completed";
}

export interface FileChange {
  /** Absolute path; for a move, where the file was (as upstream reports it). */
  path: string;
  kind: "add" | "delete" | "update";
}

/** A sub-agent operation, shaped as upstream's `collab_tool_call` thread item. */
export interface CollabCall {
  tool: "spawn_agent" | "send_input" | "wait" | "close_agent";
  senderThreadId: string;
  receiverThreadIds: string[];
  prompt: string | null;
  /** Per receiver: its status word and, once completed or errored, its message. */
  agentsStates: Record<string, { status: string; message: string | null }>;
  status: "in_progress" | "completed" | "failed";
}

/** What tools tell the UI (never the model): plans, applied file changes, sub-agent calls. */
export type ToolEvent =
  | { type: "plan_updated"; callId: string; explanation?: string; plan: PlanStep[] }
  | { type: "patch_applied"; callId: string; changes: FileChange[] }
  | { type: "collab_call"; callId: string; call: CollabCall }
  /**
   * A command's process has started (exec_command, shell, shell_command): the UI shows it from
   * this moment, as upstream does, not once the call returns. `startedAt` is `performance.now()`
   * just before the spawn: a duration measured from it is never shorter than the command ran,
   * however late under load this event is handled.
   */
  | { type: "command_started"; callId: string; command: string; cwd: string; startedAt: number }
  /**
   * A call to a tool of an MCP server (or one of the resource tools): once when it starts, and
   * again with its outcome — the result as the server sent it, or what went wrong.
   */
  | {
    type: "mcp_call";
    callId: string;
    server: string;
    tool: string;
    arguments: unknown;
    outcome?: { durationMs: number; result?: Record<string, unknown>; error?: string };
  }
  /**
   * A call that failed in tscodex rather than in what it ran: a tool that does not exist,
   * arguments it cannot take, or an error thrown inside it (with its stack). The model gets the
   * message as the call's output either way; this is for the debug log.
   */
  | {
    type: "tool_failed";
    callId: string;
    reason: "unsupported" | "bad_arguments" | "exception";
    message: string;
    stack?: string;
  };

export interface ToolContext {
  signal: AbortSignal;
  cwd: string;
  callId: string;
  /** Where tools may write; absent means unrestricted (as `danger-full-access`). */
  sandbox?: SandboxPolicy;
  /** The approval policy and who to ask; absent means `never` with nobody to ask. */
  approvals?: CommandApprovals;
  onEvent?: (event: ToolEvent) => void;
}

/**
 * What a command call did, for the UI: never parsed back out of the text the model reads.
 * `exitCode` is set once the process has exited; until then `sessionId` names it.
 */
export interface CommandMetadata {
  kind: "command";
  /** The argv as upstream prints it. */
  command: string;
  cwd: string;
  /** What the process printed during this call, whole (the model's copy may be cut). */
  output: string;
  /** How long this call waited on the process. */
  wallMs: number;
  exitCode?: number;
  sessionId?: number;
  /** exec_command / write_stdin's reply fields, as code cells hand them to scripts. */
  reply?: { chunkId: string; originalTokenCount: number; body: string };
}

/** The facts about a call that its UI needs (exit codes, files changed), beside the model's text. */
export type ToolMetadata =
  | CommandMetadata
  | { kind: "patch"; changes: FileChange[] };

export interface ToolResult {
  /** What the model reads. */
  output: ToolOutput;
  metadata?: ToolMetadata;
  /** A note for the model, put in the history as a user message just before the output. */
  notice?: string;
}

/** A finished call: the item the history gets, and the facts the UI gets. */
export interface ToolRun {
  item: ToolOutputItem;
  metadata?: ToolMetadata;
  notice?: string;
}

interface ToolBase {
  name: string;
  /** Our own wording, sent to the model as the tool's description. */
  description: string;
  /** Calls of tools that allow it may run concurrently with their neighbours. */
  parallel?: boolean;
}

export interface FunctionToolDef<P = unknown> extends ToolBase {
  kind: "function";
  parameters: z.ZodType<P>;
  /** A hand-written JSON schema for when the generated one cannot match upstream's shape. */
  jsonSchema?: JsonSchema;
  execute(args: P, ctx: ToolContext): Promise<string | ToolResult>;
}

export interface CustomToolDef extends ToolBase {
  kind: "custom";
  /**
   * Also run a function call whose arguments are `{"input": text}` (upstream's apply_patch takes
   * its patch either way, whichever form it declared).
   */
  jsonInput?: boolean;
  format: { type: "grammar"; syntax: "lark" | "regex"; definition: string } | { type: "text" };
  execute(input: string, ctx: ToolContext): Promise<string | ToolResult>;
}

/**
 * A tool someone else declares (an MCP server): its parameters are the server's JSON schema, and
 * it gets the arguments as the model wrote them, to parse and check as its owner does.
 */
export interface ExternalToolDef extends ToolBase {
  kind: "external";
  parameters: JsonSchema;
  execute(argumentsText: string, ctx: ToolContext): Promise<string | ToolResult>;
}

/** A tool the provider runs itself (web search): declared, never executed here. */
export interface ProviderToolDef extends ToolBase {
  kind: "provider";
  spec: ToolSpec;
}

export type ToolDef = FunctionToolDef<never> | CustomToolDef | ExternalToolDef | ProviderToolDef;

/** Keeps the parameter type of a function tool checked against its zod schema. */
export function defineFunctionTool<P>(def: FunctionToolDef<P>): ToolDef {
  return def as unknown as ToolDef;
}

/**
 * Upstream's output budget for tool results (gpt-5.1-codex `truncation_policy`: 10 000 tokens),
 * and the 20% headroom upstream grants on top when it records an output into the history.
 */
export const TOOL_OUTPUT_TOKEN_LIMIT = 10_000;
const SERIALIZATION_HEADROOM = 1.2;

/** Error texts upstream sends back for calls it cannot run; the model knows these phrasings. */
/** Upstream's replies to a call of a tool nobody declared, by the call's kind. */
const UNSUPPORTED_CALL = (call: ToolCallItem) =>
  call.type === "custom_tool_call"
    ? `unsupported custom tool call: ${call.name}`
    : `unsupported call: ${call.name}`;
const BAD_ARGUMENTS = (detail: string) => `failed to parse function arguments: ${detail}`;

function jsonSyntaxProblem(text: string): string | undefined {
  try {
    checkJsonSyntax(text);
  } catch (err) {
    if (err instanceof JsonSyntaxError) return err.message;
  }
  return undefined;
}

/** Shares the budget across the text parts of a multimodal output; images pass through. */
function truncateOutput(output: ToolOutput, budget: OutputBudget): ToolOutput {
  if (typeof output === "string") return truncateToBudget(output, budget);
  let remaining = budget.limit;
  return output.map((part): ContentPart => {
    if (part.type !== "input_text" || typeof part.text !== "string") return part;
    const text = truncateToBudget(part.text, { mode: budget.mode, limit: remaining });
    remaining = Math.max(0, remaining - budgetUsed(part.text, budget));
    return { ...part, text };
  });
}

export type ToolOutputItem = FunctionCallOutputItem | CustomToolCallOutputItem;

export interface ToolRegistryOptions {
  /** The model's budget for one tool output, before headroom; tokens 10 000 otherwise. */
  outputBudget?: OutputBudget;
}

export class ToolRegistry {
  readonly #tools = new Map<string, ToolDef>();
  #outputBudget!: OutputBudget;
  #specs?: ToolSpec[];

  constructor(tools: ToolDef[] = [], options: ToolRegistryOptions = {}) {
    for (const tool of tools) this.register(tool);
    this.outputBudget = options.outputBudget ?? { mode: "tokens", limit: TOOL_OUTPUT_TOKEN_LIMIT };
  }

  /** The budget outputs are cut to (with upstream's headroom); it follows the session's model. */
  set outputBudget(budget: OutputBudget) {
    this.#outputBudget = {
      mode: budget.mode,
      limit: Math.floor(budget.limit * SERIALIZATION_HEADROOM),
    };
  }

  register(tool: ToolDef): void {
    if (this.#tools.has(tool.name)) throw new Error(`tool ${tool.name} is registered twice`);
    this.#tools.set(tool.name, tool);
    this.#specs = undefined;
  }

  /** Drops every tool `keep` says no to (a review thread offers a fixed few). */
  retain(keep: (name: string) => boolean): void {
    for (const name of this.#tools.keys()) if (!keep(name)) this.#tools.delete(name);
    this.#specs = undefined;
  }

  get(name: string): ToolDef | undefined {
    return this.#tools.get(name);
  }

  get names(): string[] {
    return [...this.#tools.keys()];
  }

  supportsParallel(name: string): boolean {
    return this.#tools.get(name)?.parallel === true;
  }

  /** The `tools` array of a Responses request, in registration order. */
  specs(): ToolSpec[] {
    // Built once (JSON Schema from zod is not cheap) and again only after a registration.
    this.#specs ??= this.#buildSpecs();
    return [...this.#specs];
  }

  #buildSpecs(): ToolSpec[] {
    return [...this.#tools.values()].map((tool): ToolSpec => {
      switch (tool.kind) {
        case "function":
          return {
            type: "function",
            name: tool.name,
            description: tool.description,
            strict: false,
            parameters: tool.jsonSchema ?? upstreamJsonSchema(tool.parameters),
          };
        case "external":
          return {
            type: "function",
            name: tool.name,
            description: tool.description,
            strict: false,
            parameters: tool.parameters,
          };
        case "custom":
          return {
            type: "custom",
            name: tool.name,
            description: tool.description,
            format: tool.format,
          };
        case "provider":
          return tool.spec;
      }
    });
  }

  /** Runs one call and always returns its output item, whatever happens inside the tool. */
  async run(call: ToolCallItem, ctx: ToolContext): Promise<ToolOutputItem> {
    return (await this.execute(call, ctx)).item;
  }

  /** run(), with the call's metadata for the UI. */
  async execute(call: ToolCallItem, ctx: ToolContext): Promise<ToolRun> {
    const { output, metadata, notice } = await this.#execute(call, ctx);
    const item: ToolOutputItem = call.type === "custom_tool_call"
      ? { type: "custom_tool_call_output", call_id: call.call_id, output }
      : { type: "function_call_output", call_id: call.call_id, output };
    return { item, ...(metadata ? { metadata } : {}), ...(notice ? { notice } : {}) };
  }

  /**
   * An item as the history keeps it: tool outputs cut to the model's budget, anything else as
   * is. Upstream cuts when it records an output into the history (also when a rollout is
   * resumed), while the rollout and the UI get the output whole.
   */
  historyForm(item: ResponseItem): ResponseItem {
    if (item.type !== "function_call_output" && item.type !== "custom_tool_call_output") {
      return item;
    }
    const output = (item as ToolOutputItem).output;
    if (typeof output !== "string" && !Array.isArray(output)) return item;
    return { ...item, output: truncateOutput(output, this.#outputBudget) } as ResponseItem;
  }

  async #execute(call: ToolCallItem, ctx: ToolContext): Promise<ToolResult> {
    const failed = (reason: "unsupported" | "bad_arguments", output: string): ToolResult => {
      ctx.onEvent?.({ type: "tool_failed", callId: call.call_id, reason, message: output });
      return { output };
    };
    const tool = this.#tools.get(call.name);
    if (!tool) return failed("unsupported", UNSUPPORTED_CALL(call));
    if (ctx.signal.aborted) return { output: "aborted" };
    try {
      switch (tool.kind) {
        case "provider":
          return {
            output: `${tool.name} runs on the model provider's side; it cannot be called locally.`,
          };
        case "custom": {
          if (call.type === "custom_tool_call") {
            return normalise(await tool.execute(call.input, ctx));
          }
          const input = tool.jsonInput ? jsonInput(call.arguments) : undefined;
          if (input === undefined) {
            return failed(
              "bad_arguments",
              `${call.name} is a freeform tool; send its input as plain text`,
            );
          }
          return normalise(await tool.execute(input, ctx));
        }
        case "external":
          if (call.type !== "function_call") {
            return failed(
              "bad_arguments",
              `${call.name} expects JSON arguments as a function call`,
            );
          }
          return normalise(await tool.execute(call.arguments, ctx));
        case "function": {
          if (call.type !== "function_call") {
            return failed(
              "bad_arguments",
              `${call.name} expects JSON arguments as a function call`,
            );
          }
          let raw: unknown;
          try {
            raw = call.arguments.trim() === "" ? {} : JSON.parse(call.arguments);
          } catch (err) {
            // Worded as upstream's parser words it; JavaScript's own message only as a fallback.
            return failed(
              "bad_arguments",
              BAD_ARGUMENTS(jsonSyntaxProblem(call.arguments) ?? (err as Error).message),
            );
          }
          const parsed = tool.parameters.safeParse(raw, { reportInput: true });
          if (!parsed.success) {
            return failed("bad_arguments", BAD_ARGUMENTS(describeArgumentIssues(parsed.error)));
          }
          return normalise(await tool.execute(parsed.data, ctx));
        }
      }
    } catch (err) {
      if (ctx.signal.aborted) return { output: "aborted" };
      const output = `${tool.name} failed: ${err instanceof Error ? err.message : String(err)}`;
      ctx.onEvent?.({
        type: "tool_failed",
        callId: call.call_id,
        reason: "exception",
        message: output,
        ...(err instanceof Error && err.stack ? { stack: err.stack } : {}),
      });
      return { output };
    }
  }
}

/** The `input` text of function-call arguments, when they are JSON holding one. */
function jsonInput(args: string): string | undefined {
  try {
    const input = (JSON.parse(args) as { input?: unknown } | null)?.input;
    return typeof input === "string" ? input : undefined;
  } catch {
    return undefined;
  }
}

function normalise(result: string | ToolResult): ToolResult {
  return typeof result === "string" ? { output: result } : result;
}
