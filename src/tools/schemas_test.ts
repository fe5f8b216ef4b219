// Snapshot of the declared tools against upstream 0.115.0's tools array (prose replaced by its
// digest in the fixture): same names in the same order, and per tool the same schema shape —
// parameter names, types, required lists, additionalProperties, key order, and a description
// exactly where upstream has one. Our descriptions must be our own, so their digests must differ.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { APPLY_PATCH_GRAMMAR } from "./apply_patch.ts";
import { defaultTools } from "./defaults.ts";
import { ProcessManager } from "./processes.ts";

interface Fixture {
  default_order: string[];
  with_experimental_tools: { experimental_supported_tools: string[]; order: string[] };
  tools: Array<Record<string, unknown>>;
}

const fixture: Fixture = JSON.parse(
  readFileSync(
    new URL("../../fixtures/shapes/0.115.0/tools-schemas.json", import.meta.url),
    "utf8",
  ),
);

const nameOf = (tool: Record<string, unknown>) => String(tool.name ?? tool.type);
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** The schema with every description (text or digest) replaced by a marker. */
function shape(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(shape);
  if (node === null || typeof node !== "object") return node;
  return Object.fromEntries(
    Object.entries(node).map(([key, value]) =>
      key === "description" && (typeof value === "string" || "sha256" in (value as object))
        ? [key, "<description>"]
        : key === "definition"
        ? [key, "<grammar>"]
        : [key, shape(value)]
    ),
  );
}

/** Every description in a schema, as text (ours) or as upstream's digest. */
function descriptions(node: unknown, out: unknown[] = []): unknown[] {
  if (Array.isArray(node)) node.forEach((item) => descriptions(item, out));
  else if (node !== null && typeof node === "object") {
    for (const [key, value] of Object.entries(node)) {
      if (key === "description" && (typeof value === "string" || "sha256" in (value as object))) {
        out.push(value);
      } else descriptions(value, out);
    }
  }
  return out;
}

const upstream = new Map(fixture.tools.map((tool) => [nameOf(tool), tool]));
const processes = new ProcessManager();
const experimental = fixture.with_experimental_tools.experimental_supported_tools as Array<
  "read_file" | "list_dir" | "grep_files"
>;
const ours = defaultTools(processes, { experimentalTools: experimental }).specs() as Array<
  Record<string, unknown>
>;

Deno.test("defaultTools declares upstream's tools in upstream's order, minus unimplemented ones", () => {
  const declared = defaultTools(processes).specs().map((tool) => nameOf(tool));
  assert.deepEqual(declared, fixture.default_order.filter((name) => declared.includes(name)));
  // The only gaps are the tools not built yet (see the TODO in defaults.ts).
  assert.deepEqual(fixture.default_order.filter((name) => !declared.includes(name)), [
    "request_user_input",
    "spawn_agent",
    "send_input",
    "resume_agent",
    "wait_agent",
    "close_agent",
  ]);
  const withExperimental = ours.map(nameOf);
  assert.deepEqual(
    withExperimental,
    fixture.with_experimental_tools.order.filter((name) => withExperimental.includes(name)),
  );
});

Deno.test("defaultTools without unified exec declares shell_command in exec_command's place", () => {
  // Upstream 0.115.0 with `--disable unified_exec` for gpt-5.1-codex (the model's shell_type).
  const names = defaultTools(processes, { unifiedExec: false }).specs().map(nameOf);
  assert.deepEqual(names, [
    "shell_command",
    "update_plan",
    "apply_patch",
    "web_search",
    "view_image",
  ]);
});

for (const tool of ours) {
  const name = nameOf(tool);
  Deno.test(`${name}: declared schema has upstream 0.115.0's shape`, () => {
    const reference = upstream.get(name);
    assert.ok(reference, `upstream declares no ${name}`);
    assert.equal(JSON.stringify(shape(tool)), JSON.stringify(shape(reference)));
  });
  Deno.test(`${name}: descriptions are our own prose`, () => {
    const theirs = descriptions(upstream.get(name)) as Array<{ sha256: string; length: number }>;
    const mine = descriptions(tool) as string[];
    assert.equal(mine.length, theirs.length);
    mine.forEach((text, i) => {
      assert.ok(text.trim().length > 0);
      assert.notEqual(sha256(text), theirs[i].sha256, `description ${i} copies upstream's`);
    });
  });
}

Deno.test("apply_patch: the lark grammar is upstream's byte for byte", () => {
  const format = upstream.get("apply_patch")?.format as { definition: { sha256: string } };
  assert.equal(sha256(APPLY_PATCH_GRAMMAR), format.definition.sha256);
});
