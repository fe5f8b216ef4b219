// Snapshot of the declared tools against upstream 0.115.0's tools array (prose replaced by its
// digest in the fixture): same names in the same order, and per tool the same schema shape —
// parameter names, types, required lists, additionalProperties, key order, and a description
// exactly where upstream has one. Our descriptions must be our own, so their digests must differ.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { APPLY_PATCH_GRAMMAR } from "./apply_patch.ts";
import { AgentToolError, type SubAgentControl, subAgentTools } from "./agent_tools.ts";
import { CodeCells } from "./code_mode/mod.ts";
import { EXEC_GRAMMAR } from "./code_mode/exec_tool.ts";
import { defaultTools, type DefaultToolsOptions } from "./defaults.ts";
import { ProcessManager } from "./processes.ts";
import { PermissionGrants } from "./request_permissions.ts";

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

/** The tools the code_mode and request_permissions features add, from a run with both on. */
const features: { order: string[]; tools: Array<Record<string, unknown>> } = JSON.parse(
  readFileSync(
    new URL("../../fixtures/shapes/0.115.0/tools-schemas-features.json", import.meta.url),
    "utf8",
  ),
);

const upstream = new Map([...fixture.tools, ...features.tools].map((tool) => [nameOf(tool), tool]));
const processes = new ProcessManager();
const experimental = fixture.with_experimental_tools.experimental_supported_tools as Array<
  "read_file" | "list_dir" | "grep_files"
>;

/** Declares the sub-agent tools; nothing in these tests runs them. */
const noAgents: SubAgentControl = {
  threadId: "thread",
  spawn: () => Promise.reject(new AgentToolError("no agents here")),
  send: () => ({ submissionId: "none" }),
  resume: () => "not_found",
  wait: () => Promise.resolve({ status: {}, timedOut: true }),
  close: () => Promise.resolve("not_found"),
  status: () => "not_found",
};

/** What a session declares: the default tools, then the sub-agent tools the agent layer adds. */
function declared(options: DefaultToolsOptions = {}): Array<Record<string, unknown>> {
  const registry = defaultTools(processes, options);
  for (const tool of subAgentTools(noAgents)) registry.register(tool);
  return registry.specs() as Array<Record<string, unknown>>;
}

const withFeatures: DefaultToolsOptions = {
  codeMode: new CodeCells(),
  requestPermissions: { grants: new PermissionGrants() },
};
const ours = declared({ experimentalTools: experimental, ...withFeatures });

Deno.test("a session declares upstream's tools in upstream's order", () => {
  assert.deepEqual(declared().map(nameOf), fixture.default_order);
  assert.deepEqual(
    declared({ experimentalTools: experimental }).map(nameOf),
    fixture.with_experimental_tools.order,
  );
});

Deno.test("code mode and request_permissions are declared where upstream puts them", () => {
  assert.deepEqual(declared(withFeatures).map(nameOf), features.order);
});

Deno.test("defaultTools without unified exec declares shell_command in exec_command's place", () => {
  // Upstream 0.115.0 with `--disable unified_exec` for gpt-5.1-codex (the model's shell_type).
  const names = defaultTools(processes, { unifiedExec: false }).specs().map(nameOf);
  assert.deepEqual(names, [
    "shell_command",
    "update_plan",
    "request_user_input",
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

for (const [name, grammar] of [["apply_patch", APPLY_PATCH_GRAMMAR], ["exec", EXEC_GRAMMAR]]) {
  Deno.test(`${name}: the lark grammar is upstream's byte for byte`, () => {
    const format = upstream.get(name)?.format as { definition: { sha256: string } };
    assert.equal(sha256(grammar), format.definition.sha256);
  });
}
