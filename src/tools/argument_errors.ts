// Argument validation errors phrased the way upstream's JSON decoder (serde) phrases them —
// `missing field `plan``, `invalid type: integer `5`, expected a string`, `unknown variant` —
// because those are the replies models have learned to correct; the location is the field path.
import type { z } from "zod";

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "sequence";
  switch (typeof value) {
    case "boolean":
      return `boolean \`${value}\``;
    case "number":
      return Number.isInteger(value) ? `integer \`${value}\`` : `floating point \`${value}\``;
    case "string":
      return `string ${JSON.stringify(value)}`;
    case "object":
      return "map";
    default:
      return String(value);
  }
}

const EXPECTED: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "an integer",
  boolean: "a boolean",
  array: "a sequence",
  object: "a map",
};

function oneOf(values: readonly unknown[]): string {
  const names = values.map((value) => `\`${String(value)}\``);
  if (names.length === 1) return names[0];
  if (names.length === 2) return `${names[0]} or ${names[1]}`;
  return `one of ${names.join(", ")}`;
}

function pathText(path: readonly PropertyKey[]): string {
  return path.map((key, i) =>
    typeof key === "number" ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`
  ).join("");
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const input = (issue as { input?: unknown }).input;
  const at = (path: readonly PropertyKey[]) => path.length > 0 ? ` at \`${pathText(path)}\`` : "";
  switch (issue.code) {
    case "invalid_type":
      if (input === undefined && issue.path.length > 0) {
        return `missing field \`${String(issue.path[issue.path.length - 1])}\`` +
          at(issue.path.slice(0, -1));
      }
      return `invalid type: ${describeValue(input)}, expected ${
        EXPECTED[issue.expected] ?? issue.expected
      }${at(issue.path)}`;
    case "invalid_value":
      return `unknown variant \`${String(input)}\`, expected ${oneOf(issue.values)}${
        at(issue.path)
      }`;
    case "unrecognized_keys":
      return issue.keys.map((key) => `unknown field \`${key}\``).join(", ") + at(issue.path);
    default:
      return `invalid value: ${describeValue(input)}, ${issue.message.toLowerCase()}${
        at(issue.path)
      }`;
  }
}

/** One line naming every problem with the arguments, e.g. for `failed to parse function arguments`. */
export function describeArgumentIssues(error: z.ZodError): string {
  return error.issues.map(describeIssue).join("; ");
}
