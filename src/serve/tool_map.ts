// Responses tool declarations → plain functions that chat and messages backends understand, and
// the reverse map that turns a called function name back into the Responses tool call the client
// declared: a function (possibly inside a namespace), a custom (freeform) tool, or web search.
import type { CustomTool, FunctionTool, ToolSpec } from "../protocol/mod.ts";
import { RequestError } from "./errors.ts";

export interface FunctionDecl {
  name: string;
  description?: string;
  parameters: Record<string, unknown>;
  strict?: boolean;
}

export type ToolOrigin =
  | { kind: "function"; name: string; namespace?: string }
  | { kind: "custom"; name: string; namespace?: string }
  | { kind: "web_search" };

/** The neutral tool choice: a mode, or one function by its downstream name. */
export type ToolChoice = "auto" | "none" | "required" | { name: string };

export const WEB_SEARCH_FUNCTION = "web_search";

/** The name a namespaced tool gets downstream; MCP-style namespaces already end in `__`. */
export function flatName(name: string, namespace?: string | null): string {
  if (!namespace) return name;
  return namespace.endsWith("__") ? `${namespace}${name}` : `${namespace}__${name}`;
}

const WEB_SEARCH_DECL: FunctionDecl = {
  name: WEB_SEARCH_FUNCTION,
  description: "Search the web. Give the main query, and optionally a few alternative phrasings.",
  parameters: {
    type: "object",
    properties: {
      query: { type: "string", description: "What to search for." },
      queries: { type: "array", items: { type: "string" }, description: "Extra phrasings." },
    },
    required: ["query"],
  },
};

function customDecl(tool: CustomTool, name: string): FunctionDecl {
  const lines = [tool.description ?? ""];
  lines.push(
    "This is a freeform tool: its argument is raw text, not JSON fields. " +
      "Put the complete text in the string argument `input`.",
  );
  const format = tool.format;
  if (format?.type === "grammar") {
    lines.push(`The text must match this ${format.syntax} grammar:\n${format.definition}`);
  }
  return {
    name,
    description: lines.filter(Boolean).join("\n\n"),
    parameters: {
      type: "object",
      properties: { input: { type: "string", description: "The raw text for the tool." } },
      required: ["input"],
      additionalProperties: false,
    },
  };
}

function functionDecl(tool: FunctionTool, name: string): FunctionDecl {
  const parameters = tool.parameters && Object.keys(tool.parameters).length > 0
    ? tool.parameters
    : { type: "object", properties: {} };
  return {
    name,
    ...(tool.description ? { description: tool.description } : {}),
    parameters,
    ...(typeof tool.strict === "boolean" ? { strict: tool.strict } : {}),
  };
}

/** The downstream view of a request's tools. Built-in tool types with no equivalent are dropped. */
export class ToolMap {
  readonly decls: FunctionDecl[] = [];
  readonly #origins = new Map<string, ToolOrigin>();

  constructor(specs: readonly ToolSpec[] = []) {
    for (const spec of specs) {
      switch (spec.type) {
        case "function":
        case "custom":
          this.#declare(spec as FunctionTool | CustomTool);
          break;
        case "namespace":
          for (const tool of (spec as { tools: Array<FunctionTool | CustomTool> }).tools) {
            this.#declare(tool, String(spec.name));
          }
          break;
        case "web_search":
        case "web_search_preview":
          this.#add(WEB_SEARCH_DECL, { kind: "web_search" });
          break;
      }
    }
  }

  #declare(tool: FunctionTool | CustomTool, namespace?: string): void {
    const name = flatName(tool.name, namespace);
    if (tool.type === "custom") {
      this.#add(customDecl(tool, name), { kind: "custom", name: tool.name, namespace });
    } else {
      this.#add(functionDecl(tool, name), { kind: "function", name: tool.name, namespace });
    }
  }

  #add(decl: FunctionDecl, origin: ToolOrigin): void {
    if (this.#origins.has(decl.name)) {
      throw new RequestError(
        400,
        `two tools would both be called "${decl.name}" downstream; tool names (with their ` +
          `namespace) must be unique`,
        "invalid_value",
        "tools",
      );
    }
    this.#origins.set(decl.name, origin);
    this.decls.push(decl);
  }

  /** What a called function name stands for; undeclared names are plain functions. */
  origin(name: string): ToolOrigin {
    return this.#origins.get(name) ?? { kind: "function", name };
  }

  get hasWebSearch(): boolean {
    return this.#origins.get(WEB_SEARCH_FUNCTION)?.kind === "web_search";
  }

  /** The same tools without the mock web search, for the round that answers a search. */
  withoutWebSearch(): ToolMap {
    const copy = new ToolMap();
    for (const decl of this.decls) {
      const origin = this.#origins.get(decl.name)!;
      if (origin.kind !== "web_search") copy.#add(decl, origin);
    }
    return copy;
  }
}

/** Responses `tool_choice` → the neutral choice; unknown forms fall back to `auto`. */
export function toolChoice(raw: unknown, tools: ToolMap): ToolChoice {
  if (raw === "none" || raw === "required" || raw === "auto") return raw;
  if (typeof raw !== "object" || raw === null) return "auto";
  const choice = raw as { type?: string; name?: string; namespace?: string; mode?: string };
  switch (choice.type) {
    case "function":
    case "custom":
      if (!choice.name) return "auto";
      return { name: flatName(choice.name, choice.namespace) };
    case "web_search":
    case "web_search_preview":
      return tools.hasWebSearch ? { name: WEB_SEARCH_FUNCTION } : "auto";
    case "allowed_tools":
      return choice.mode === "required" ? "required" : "auto";
    default:
      return "auto";
  }
}
