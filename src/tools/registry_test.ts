import assert from "node:assert/strict";
import { z } from "zod";
import type { ToolCallItem } from "../protocol/mod.ts";
import { defaultTools } from "./defaults.ts";
import { upstreamJsonSchema } from "./json_schema.ts";
import { ProcessManager } from "./processes.ts";
import {
  defineFunctionTool,
  type ToolContext,
  type ToolDef,
  type ToolEvent,
  type ToolOutputItem,
  ToolRegistry,
} from "./registry.ts";
import { webSearchTool } from "./web_search.ts";

const ctx = (signal = new AbortController().signal): ToolContext => ({
  signal,
  cwd: "/",
  callId: "c1",
});
const fn = (name: string, args: string): ToolCallItem => ({
  type: "function_call",
  call_id: "c1",
  name,
  arguments: args,
});

function echoTool(body: (args: { text: string; count?: number }) => Promise<string>): ToolDef {
  return defineFunctionTool({
    kind: "function",
    name: "echo",
    description: "Echo.",
    parameters: z.object({
      text: z.string(),
      count: z.number().int().nonnegative().optional(),
      mode: z.enum(["a", "b"]).optional(),
    }),
    execute: (args) => body(args),
  });
}

async function output(registry: ToolRegistry, call: ToolCallItem, context = ctx()) {
  return (registry.historyForm(await registry.run(call, context)) as ToolOutputItem).output;
}

Deno.test("registry: calls it cannot run get upstream's replies", async () => {
  const registry = new ToolRegistry([echoTool((a) => Promise.resolve(a.text))]);
  assert.equal(await output(registry, fn("read_file", "{}")), "unsupported call: read_file");
  assert.match(
    String(await output(registry, fn("echo", "not json"))),
    /^failed to parse function arguments: /,
  );
  assert.equal(
    await output(registry, { type: "custom_tool_call", call_id: "c1", name: "echo", input: "x" }),
    "echo expects JSON arguments as a function call",
  );
  // Upstream names the kind of an unknown freeform call (scenario custom-call-mismatch).
  assert.equal(
    await output(registry, { type: "custom_tool_call", call_id: "c1", name: "sql", input: "x" }),
    "unsupported custom tool call: sql",
  );
});

Deno.test("registry: a freeform tool that allows it also takes {input} as a function call", async () => {
  const freeform = (jsonInput: boolean): ToolDef => ({
    kind: "custom",
    name: "patch",
    description: "Patch.",
    format: { type: "text" },
    jsonInput,
    execute: (input) => Promise.resolve(`got ${input}`),
  });
  const call = fn("patch", JSON.stringify({ input: "*** Begin Patch" }));
  assert.equal(await output(new ToolRegistry([freeform(true)]), call), "got *** Begin Patch");
  assert.equal(
    await output(new ToolRegistry([freeform(false)]), call),
    "patch is a freeform tool; send its input as plain text",
  );
  assert.equal(
    await output(new ToolRegistry([freeform(true)]), fn("patch", "{}")),
    "patch is a freeform tool; send its input as plain text",
  );
});

Deno.test("registry: invalid arguments are described per field, serde-style", async () => {
  let ran = false;
  const registry = new ToolRegistry([echoTool(() => {
    ran = true;
    return Promise.resolve("ran");
  })]);
  const cases: Array<[unknown, string]> = [
    [{}, "missing field `text`"],
    [{ text: 5 }, "invalid type: integer `5`, expected a string at `text`"],
    [
      { text: "x", count: 1.5 },
      "invalid type: floating point `1.5`, expected an integer at `count`",
    ],
    [{ text: "x", mode: "c" }, "unknown variant `c`, expected `a` or `b` at `mode`"],
    [[], "invalid type: sequence, expected a map"],
    [
      { text: true, count: -1 },
      "invalid type: boolean `true`, expected a string at `text`; " +
      "invalid value: integer `-1`, too small: expected number to be >=0 at `count`",
    ],
  ];
  for (const [args, detail] of cases) {
    assert.equal(
      await output(registry, fn("echo", JSON.stringify(args))),
      `failed to parse function arguments: ${detail}`,
    );
  }
  assert.equal(ran, false);
  assert.equal(
    await output(registry, fn("echo", "")),
    "failed to parse function arguments: missing field `text`",
  );
  // Unknown fields are ignored, as upstream's decoder does.
  assert.equal(await output(registry, fn("echo", '{"text":"hi","extra":1}')), "ran");
});

Deno.test("registry: calls that fail inside tscodex are reported as tool_failed events", async () => {
  const events: ToolEvent[] = [];
  const context = { ...ctx(), onEvent: (event: ToolEvent) => events.push(event) };
  const registry = new ToolRegistry([echoTool(() => Promise.reject(new Error("boom")))]);
  await registry.run(fn("nope", "{}"), context);
  await registry.run(fn("echo", "{"), context);
  await registry.run(fn("echo", "{}"), context);
  await registry.run(fn("echo", '{"text":"x"}'), context);
  assert.deepEqual(
    events.map((e) => e.type === "tool_failed" && [e.reason, e.message.split(":")[0]]),
    [
      ["unsupported", "unsupported call"],
      ["bad_arguments", "failed to parse function arguments"],
      ["bad_arguments", "failed to parse function arguments"],
      ["exception", "echo failed"],
    ],
  );
  const thrown = events[3];
  assert.ok(thrown.type === "tool_failed" && /^Error: boom\n\s+at /.test(thrown.stack ?? ""));
  events.length = 0;
  await new ToolRegistry([echoTool((a) => Promise.resolve(a.text))]).run(
    fn("echo", '{"text":"x"}'),
    context,
  );
  assert.deepEqual(events, [], "a call that works reports nothing");
});

Deno.test("registry: exceptions and interrupts become outputs", async () => {
  const failing = new ToolRegistry([echoTool(() => Promise.reject(new Error("boom")))]);
  assert.equal(await output(failing, fn("echo", '{"text":"x"}')), "echo failed: boom");

  const controller = new AbortController();
  const interrupted = new ToolRegistry([echoTool(() => {
    controller.abort();
    return Promise.reject(new DOMException("stopped", "AbortError"));
  })]);
  assert.equal(
    await output(interrupted, fn("echo", '{"text":"x"}'), ctx(controller.signal)),
    "aborted",
  );

  let ran = false;
  const idle = new ToolRegistry([echoTool(() => {
    ran = true;
    return Promise.resolve("ran");
  })]);
  assert.equal(await output(idle, fn("echo", '{"text":"x"}'), ctx(controller.signal)), "aborted");
  assert.equal(ran, false);
});

Deno.test("registry: output items carry only type, call_id and output", async () => {
  const registry = new ToolRegistry([echoTool(() => Promise.reject(new Error("boom")))]);
  const item: ToolOutputItem = await registry.run(fn("echo", "{}"), ctx());
  assert.deepEqual(Object.keys(item), ["type", "call_id", "output"]);
});

Deno.test("registry: outputs are truncated at 1.2 × the token limit, head and tail kept", async () => {
  const sized = (bytes: number) => "h".repeat(bytes / 2) + "t".repeat(bytes - bytes / 2);
  const registry = new ToolRegistry([echoTool((a) => Promise.resolve(sized(Number(a.text))))]);
  // 10 000 tokens × 1.2 × 4 bytes = 48 000 bytes, as upstream records outputs into history.
  assert.equal(await output(registry, fn("echo", '{"text":"48000"}')), sized(48000));
  assert.equal(
    await output(registry, fn("echo", '{"text":"48002"}')),
    "h".repeat(24000) + "…1 tokens truncated…" + "t".repeat(24000),
  );
  const small = new ToolRegistry([echoTool(() => Promise.resolve("x".repeat(1000)))], {
    outputBudget: { mode: "tokens", limit: 100 },
  });
  assert.equal(
    await output(small, fn("echo", '{"text":""}')),
    "x".repeat(240) + "…130 tokens truncated…" + "x".repeat(240),
  );
  // A byte budget (upstream's for gpt-5.2 and unknown models): 1.2 × the limit in bytes.
  small.outputBudget = { mode: "bytes", limit: 100 };
  assert.equal(
    await output(small, fn("echo", '{"text":""}')),
    "x".repeat(60) + "…880 chars truncated…" + "x".repeat(60),
  );
});

Deno.test("registry: content items keep images and share the text budget", async () => {
  const image = { type: "input_image", image_url: "data:image/png;base64,AAAA" };
  const registry = new ToolRegistry([
    defineFunctionTool({
      kind: "function",
      name: "shot",
      description: "Shot.",
      parameters: z.object({}),
      execute: () =>
        Promise.resolve({
          output: [{ type: "input_text", text: "a".repeat(48) }, image, {
            type: "input_text",
            text: "b".repeat(48),
          }],
        }),
    }),
  ], { outputBudget: { mode: "tokens", limit: 15 } });
  assert.deepEqual(await output(registry, fn("shot", "{}")), [
    { type: "input_text", text: "a".repeat(48) },
    image,
    // 15 × 1.2 = 18 tokens: 12 go to the first text, 6 are left for the second.
    { type: "input_text", text: "b".repeat(12) + "…6 tokens truncated…" + "b".repeat(12) },
  ]);
});

Deno.test("registry: provider tools are declared as the provider's own and not run here", async () => {
  const registry = new ToolRegistry([webSearchTool()]);
  assert.deepEqual(registry.specs()[0], { type: "web_search", external_web_access: false });
  assert.deepEqual(new ToolRegistry([webSearchTool({ externalWebAccess: true })]).specs(), [
    { type: "web_search", external_web_access: true },
  ]);
  assert.match(String(await output(registry, fn("web_search", "{}"))), /provider's side/);
});

Deno.test("registry: declarations have upstream's key order", () => {
  const specs = defaultTools(new ProcessManager()).specs();
  const byName = new Map(specs.map((spec) => ["name" in spec ? spec.name : spec.type, spec]));
  assert.deepEqual(Object.keys(byName.get("update_plan")!), [
    "type",
    "name",
    "description",
    "strict",
    "parameters",
  ]);
  assert.deepEqual(Object.keys(byName.get("apply_patch")!), [
    "type",
    "name",
    "description",
    "format",
  ]);
  assert.throws(() =>
    new ToolRegistry([echoTool(() => Promise.resolve("")), echoTool(() => Promise.resolve(""))])
  );
});

Deno.test("registry: commands and read-only inspection tools may run in parallel, the rest may not", () => {
  // As upstream's router: exec_command and the one-shot shells run together, write_stdin does not.
  const registry = defaultTools(new ProcessManager(), {
    experimentalTools: ["grep_files", "read_file", "list_dir"],
  });
  const parallel = registry.names.filter((name) => registry.supportsParallel(name));
  assert.deepEqual(parallel.sort(), [
    "exec_command",
    "grep_files",
    "list_dir",
    "read_file",
    "view_image",
  ]);
  const shells = defaultTools(new ProcessManager(), { unifiedExec: false });
  assert.ok(shells.supportsParallel("shell_command"));
});

Deno.test("upstreamJsonSchema: rewrites zod's schema into upstream's dialect", () => {
  assert.deepEqual(
    upstreamJsonSchema(z.object({
      zeta: z.number().int().min(1).default(3).describe("z"),
      alpha: z.enum(["x", "y"]).describe("a"),
      list: z.array(z.object({ b: z.string(), a: z.boolean().optional() })),
    })),
    {
      type: "object",
      properties: {
        alpha: { type: "string", description: "a" },
        list: {
          type: "array",
          items: {
            type: "object",
            properties: { a: { type: "boolean" }, b: { type: "string" } },
            required: ["b"],
            additionalProperties: false,
          },
        },
        zeta: { type: "number", description: "z" },
      },
      required: ["alpha", "list"],
      additionalProperties: false,
    },
  );
  assert.throws(() => upstreamJsonSchema(z.object({ u: z.union([z.string(), z.number()]) })));
});
