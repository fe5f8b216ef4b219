// An MCP tool's input schema in the small JSON-Schema dialect upstream Codex declares: a schema is
// boolean, string, number, array or object; `integer` becomes number; missing types are inferred
// from the keywords present (or default to string); unions keep their first usable type; every
// other keyword (enum, bounds, formats, combinators) is dropped. Objects list their properties in
// name order and keep `required` and `additionalProperties` only when the server gave them.
import type { JsonSchema } from "../tools/mod.ts";

type Node = Record<string, unknown>;

function isNode(value: unknown): value is Node {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const USABLE = new Set(["object", "array", "string", "number", "integer", "boolean"]);

function inferredType(node: Node): string {
  const has = (...keys: string[]) => keys.some((key) => key in node);
  if (typeof node.type === "string") return node.type;
  if (Array.isArray(node.type)) {
    const first = node.type.find((t) => typeof t === "string" && USABLE.has(t));
    if (first) return first;
  }
  if (has("properties", "required", "additionalProperties")) return "object";
  if (has("items", "prefixItems")) return "array";
  if (has("enum", "const", "format")) return "string";
  if (has("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")) {
    return "number";
  }
  return "string";
}

export class UnsupportedSchemaError extends Error {}

function description(node: Node, out: JsonSchema): JsonSchema {
  if (node.description === undefined || node.description === null) return out;
  if (typeof node.description !== "string") {
    throw new UnsupportedSchemaError("a description that is not a string");
  }
  return { ...out, description: node.description };
}

function convert(value: unknown, path: string): JsonSchema {
  // A boolean schema (true/false) accepts anything: upstream declares it a string.
  if (typeof value === "boolean") return { type: "string" };
  if (!isNode(value)) throw new UnsupportedSchemaError(`${path} is not a schema`);
  const type = inferredType(value);
  switch (type) {
    case "boolean":
    case "string":
    case "number":
    case "integer":
      return description(value, { type: type === "integer" ? "number" : type });
    case "array":
      return description(value, {
        type: "array",
        items: value.items === undefined ? { type: "string" } : convert(value.items, `${path}[]`),
      });
    case "object": {
      const properties = value.properties ?? {};
      if (!isNode(properties)) throw new UnsupportedSchemaError(`${path}.properties is no table`);
      const out: JsonSchema = {
        type: "object",
        properties: Object.fromEntries(
          Object.keys(properties).sort().map((key) => [
            key,
            convert(properties[key], `${path}.${key}`),
          ]),
        ),
      };
      if (value.required !== undefined && value.required !== null) {
        const required = value.required;
        if (!Array.isArray(required) || required.some((r) => typeof r !== "string")) {
          throw new UnsupportedSchemaError(`${path}.required is not a list of names`);
        }
        out.required = required;
      }
      const extra = value.additionalProperties;
      if (typeof extra === "boolean") out.additionalProperties = extra;
      else if (extra !== undefined && extra !== null) {
        out.additionalProperties = convert(extra, `${path}.additionalProperties`);
      }
      return out;
    }
    default:
      throw new UnsupportedSchemaError(`${path} has type "${type}", which tools cannot declare`);
  }
}

/**
 * The parameters upstream would declare for a tool with this input schema; throws
 * UnsupportedSchemaError for one it would leave out (a `null` type, a malformed `required`).
 */
export function toolParameters(inputSchema: unknown): JsonSchema {
  const root = isNode(inputSchema) ? { ...inputSchema } : {};
  // The Responses API wants `properties` on the top object even when a server leaves it out.
  if (root.properties === undefined || root.properties === null) root.properties = {};
  return convert(root, "parameters");
}
