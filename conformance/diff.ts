// Field-by-field comparison of two canonical views: upstream's (expected) and ours (actual).
import { type CanonicalView, CATEGORIES, type Category } from "./canonical.ts";

/** Marks a field one side does not have. */
export const MISSING = "(missing)";

export interface Difference {
  category: Category;
  field: string;
  expected: unknown;
  actual: unknown;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function isScalarList(value: unknown): boolean {
  return Array.isArray(value) && value.every((v) => v === null || typeof v !== "object");
}

/**
 * Differences between two JSON values, with the path to each. Objects are compared key by key
 * (a key on one side only is reported as missing on the other); lists of scalars as a whole,
 * because one shifted element would otherwise flag every element after it; other lists by index.
 */
export function diffValues(
  expected: unknown,
  actual: unknown,
  path = "",
): Array<{ path: string; expected: unknown; actual: unknown }> {
  const join = (key: string | number) =>
    typeof key === "number" ? `${path}[${key}]` : path ? `${path}.${key}` : key;
  if (isRecord(expected) && isRecord(actual)) {
    const keys = [...Object.keys(expected)];
    for (const key of Object.keys(actual)) if (!(key in expected)) keys.push(key);
    return keys.flatMap((key) =>
      !(key in actual)
        ? [{ path: join(key), expected: expected[key], actual: MISSING }]
        : !(key in expected)
        ? [{ path: join(key), expected: MISSING, actual: actual[key] }]
        : diffValues(expected[key], actual[key], join(key))
    );
  }
  if (
    Array.isArray(expected) && Array.isArray(actual) &&
    !(isScalarList(expected) && isScalarList(actual))
  ) {
    const out = [];
    for (let i = 0; i < Math.max(expected.length, actual.length); i++) {
      if (i >= actual.length) out.push({ path: join(i), expected: expected[i], actual: MISSING });
      else if (i >= expected.length) {
        out.push({ path: join(i), expected: MISSING, actual: actual[i] });
      } else out.push(...diffValues(expected[i], actual[i], join(i)));
    }
    return out;
  }
  return JSON.stringify(expected) === JSON.stringify(actual) ? [] : [{ path, expected, actual }];
}

/**
 * Categories where every field has a summary field listing it (`keys`, `kinds`, `names`, `calls`,
 * the request count). A field only one side has is reported there once, not once more per field.
 */
const SUMMARISED = new Set<Category>(
  CATEGORIES.filter((c) => !["exit", "stdout", "requests", "files"].includes(c)),
);

/** Every difference between the two views, in category order. */
export function diffViews(expected: CanonicalView, actual: CanonicalView): Difference[] {
  const out: Difference[] = [];
  for (const category of CATEGORIES) {
    for (const d of diffValues(expected[category], actual[category])) {
      const wholeField = d.path in expected[category] || d.path in actual[category];
      const oneSided = d.expected === MISSING || d.actual === MISSING;
      if (SUMMARISED.has(category) && wholeField && oneSided) continue;
      out.push({ category, field: d.path, expected: d.expected, actual: d.actual });
    }
  }
  return out;
}
