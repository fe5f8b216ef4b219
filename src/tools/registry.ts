// The tool registry: declarations for the request, argument validation, execution with one
// AbortSignal, model-readable errors, and output truncation — each done here once for all tools.
import { z } from "zod";
import type {
  CustomToolCallOutputItem,
  FunctionCallOutputItem,
  ToolCallItem,
  ToolOutput,
  ToolSpec,
} from "../protocol/mod.ts";
import { truncateMiddle } from "./truncate.ts";

export interface ToolContext {
  signal: AbortSignal;
  cwd: string;
  callId: string;
}

export interface ToolResult {
  output: ToolOutput;
  /** Reported to the model as `success` on function outputs when set. */
  success?: boolean;
}

interface ToolBase {
  name: string;
  description: string;
  /** Calls of tools that allow it may run concurrently with their neighbours. */
  parallel?: boolean;
  /** Tokens of output the model sees at most; the registry truncates the middle away. */
  maxOutputTokens?: number;
}

export interface FunctionToolDef<P = unknown> extends ToolBase {
  kind: "function";
  parameters: z.ZodType<P>;
  /** A hand-written JSON schema when the generated one cannot match upstream's shape. */
  jsonSchema?: Record<string, unknown>;
  execute(args: P, ctx: ToolContext): Promise<string | ToolResult>;
}

export interface CustomToolDef extends ToolBase {
  kind: "custom";
  format: { type: "grammar"; syntax: "lark" | "regex"; definition: string } | { type: "text" };
  execute(input: string, ctx: ToolContext): Promise<string | ToolResult>;
}

export type ToolDef = FunctionToolDef<never> | CustomToolDef;

/** Helper that keeps the parameter type of a function tool checked against its zod schema. */
export function defineFunctionTool<P>(def: FunctionToolDef<P>): ToolDef {
  return def as unknown as ToolDef;
}

export const DEFAULT_MAX_OUTPUT_TOKENS = 10_000;

function jsonSchemaOf(def: FunctionToolDef<never>): Record<string, unknown> {
  if (def.jsonSchema) return def.jsonSchema;
  const { $schema: _, ...schema } = z.toJSONSchema(def.parameters, { io: "input" }) as Record<
    string,
    unknown
  >;
  return schema;
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join(".") || "(arguments)"}: ${issue.message}`)
    .join("; ");
}

export type ToolOutputItem = FunctionCallOutputItem | CustomToolCallOutputItem;

export class ToolRegistry {
  readonly #tools = new Map<string, ToolDef>();

  constructor(tools: ToolDef[] = []) {
    for (const tool of tools) this.register(tool);
  }

  register(tool: ToolDef): void {
    if (this.#tools.has(tool.name)) throw new Error(`tool ${tool.name} is registered twice`);
    this.#tools.set(tool.name, tool);
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

  /** The `tools` array of a Responses request. */
  specs(): ToolSpec[] {
    return [...this.#tools.values()].map((tool): ToolSpec =>
      tool.kind === "function"
        ? {
          type: "function",
          name: tool.name,
          description: tool.description,
          strict: false,
          parameters: jsonSchemaOf(tool),
        }
        : { type: "custom", name: tool.name, description: tool.description, format: tool.format }
    );
  }

  /** Runs one call and always returns its output item, whatever happens inside the tool. */
  async run(call: ToolCallItem, ctx: ToolContext): Promise<ToolOutputItem> {
    const result = await this.#execute(call, ctx);
    const tool = this.#tools.get(call.name);
    const maxTokens = tool?.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS;
    const output = typeof result.output === "string"
      ? truncateMiddle(result.output, maxTokens)
      : result.output;
    if (call.type === "custom_tool_call") {
      return { type: "custom_tool_call_output", call_id: call.call_id, output };
    }
    return {
      type: "function_call_output",
      call_id: call.call_id,
      output,
      ...(result.success !== undefined ? { success: result.success } : {}),
    };
  }

  async #execute(call: ToolCallItem, ctx: ToolContext): Promise<ToolResult> {
    const tool = this.#tools.get(call.name);
    if (!tool) return { output: `unsupported call: ${call.name}`, success: false };
    if (ctx.signal.aborted) return { output: "aborted", success: false };
    try {
      if (tool.kind === "custom") {
        if (call.type !== "custom_tool_call") {
          return {
            output: `${call.name} is a freeform tool; send its input as plain text`,
            success: false,
          };
        }
        return normalise(await tool.execute(call.input, ctx));
      }
      if (call.type !== "function_call") {
        return { output: `${call.name} expects JSON arguments as a function call`, success: false };
      }
      let raw: unknown;
      try {
        raw = call.arguments.trim() === "" ? {} : JSON.parse(call.arguments);
      } catch (err) {
        return {
          output: `failed to parse function arguments: ${(err as Error).message}`,
          success: false,
        };
      }
      const parsed = tool.parameters.safeParse(raw);
      if (!parsed.success) {
        return {
          output: `invalid arguments for ${tool.name}: ${describeIssues(parsed.error)}`,
          success: false,
        };
      }
      return normalise(await tool.execute(parsed.data, ctx));
    } catch (err) {
      if (ctx.signal.aborted) return { output: "aborted", success: false };
      return {
        output: `${tool.name} failed: ${(err as Error).message ?? String(err)}`,
        success: false,
      };
    }
  }
}

function normalise(result: string | ToolResult): ToolResult {
  return typeof result === "string" ? { output: result } : result;
}
