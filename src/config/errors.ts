// Configuration errors: each names where the bad input is (file:line:column, key path, -c flag or
// variable) and never echoes a value that could be a credential.
import type { z } from "zod";

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Keys whose values may be credentials: their values are never quoted back. */
const SECRET_KEY = /header|key|token|secret|password|authorization|bearer|cookie/i;

export function looksSecret(text: string): boolean {
  return SECRET_KEY.test(text);
}

/** `a.b."c.d"`: the path as TOML would spell it, quoting segments that are not bare keys. */
export function keyPathText(path: readonly PropertyKey[]): string {
  return path.map((part) => {
    const text = String(part);
    return /^[A-Za-z0-9_-]+$/.test(text) ? text : JSON.stringify(text);
  }).join(".");
}

function tomlType(value: unknown): string {
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return "an array";
  if (value instanceof Date) return "a date";
  if (typeof value === "object" && value !== null) return "a table";
  if (typeof value === "number") return Number.isInteger(value) ? "an integer" : "a float";
  if (typeof value === "boolean") return "a boolean";
  return "a string";
}

function describeValue(value: unknown, path: readonly PropertyKey[]): string {
  const type = tomlType(value);
  const scalar = typeof value === "number" || typeof value === "boolean" ||
    (typeof value === "string" && value.length <= 60);
  if (!scalar || looksSecret(keyPathText(path))) return type;
  return `${type} (${JSON.stringify(value)})`;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const part of path) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[part];
  }
  return node;
}

const EXPECTED: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "an integer",
  boolean: "a boolean (true or false)",
  object: "a table",
  record: "a table",
  array: "an array",
};

/** One zod issue as `expected X, got Y`, reading the offending value from `input`. */
export function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const got = describeValue(valueAt(input, issue.path), issue.path);
  let expected: string;
  switch (issue.code) {
    case "invalid_type":
      expected = EXPECTED[issue.expected] ?? issue.expected;
      break;
    case "invalid_value":
      expected = `one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
      break;
    case "invalid_format":
      expected = issue.format === "url" ? "an http(s) URL" : `a ${issue.format} string`;
      break;
    case "too_small":
      expected = issue.origin === "string"
        ? "a non-empty string"
        : `a number ${issue.inclusive ? ">=" : ">"} ${issue.minimum}`;
      break;
    case "too_big":
      expected = `a number ${issue.inclusive ? "<=" : "<"} ${issue.maximum}`;
      break;
    default:
      return issue.message;
  }
  return `expected ${expected}, got ${got}`;
}
