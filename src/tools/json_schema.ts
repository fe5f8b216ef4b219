// Parameter schemas in upstream Codex's dialect. Upstream serialises a small JSON-Schema subset
// from Rust: `type` first, object properties in alphabetical order, `required` in declaration
// order, `additionalProperties: false` on every object, `number` for every numeric field, and no
// other keywords (no `$schema`, `default`, `enum`, bounds). The model sees exactly that shape, so
// the schemas generated from our zod parameters are rewritten into it.
import { z } from "zod";

export type JsonSchema = Record<string, unknown>;

const PRIMITIVES = new Set(["string", "number", "boolean"]);

function rewrite(node: JsonSchema, path: string): JsonSchema {
  const type = node.type === "integer" ? "number" : node.type;
  const out: JsonSchema = { type };
  if (type === "object") {
    const properties = (node.properties ?? {}) as Record<string, JsonSchema>;
    out.properties = Object.fromEntries(
      Object.keys(properties).sort().map((
        key,
      ) => [key, rewrite(properties[key], `${path}.${key}`)]),
    );
    const required = node.required as string[] | undefined;
    if (required && required.length > 0) out.required = required;
    out.additionalProperties = false;
  } else if (type === "array") {
    out.items = rewrite(node.items as JsonSchema, `${path}[]`);
  } else if (typeof type !== "string" || !PRIMITIVES.has(type)) {
    // Unions, nullables and the like have no counterpart upstream; a tool that needs one must
    // hand-write its schema (`jsonSchema` on the tool definition).
    throw new Error(`${path}: no upstream equivalent for schema ${JSON.stringify(node)}`);
  }
  if (typeof node.description === "string") out.description = node.description;
  return out;
}

/** The JSON schema upstream would declare for parameters shaped like `schema`. */
export function upstreamJsonSchema(schema: z.ZodType): JsonSchema {
  return rewrite(z.toJSONSchema(schema, { io: "input" }) as JsonSchema, "parameters");
}
