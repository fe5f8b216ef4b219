// The base instructions checked against what they describe: every variant (model family ×
// tool set × personality) names only tools its session declares and describes each one it has;
// every example in them is run by a scripted model that follows it through the real agent loop,
// real tools and a real HTTP server; and each stays within its size budget.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { ApprovalPolicy, type Personality, SandboxMode } from "../config/mod.ts";
import { requestInvariantViolations, type ScenarioInput } from "../fake/mod.ts";
import { McpManager } from "../mcp/mod.ts";
import { modelInfo } from "../model/mod.ts";
import type { ResponseItem } from "../protocol/mod.ts";
import {
  CodeCells,
  CommandApprovals,
  defaultTools,
  type DefaultToolsOptions,
  PermissionGrants,
  ProcessManager,
  shellTools,
  type ToolDef,
  type ToolRegistry,
} from "../tools/mod.ts";
import { sandboxMissing } from "../tools/testing.ts";
import { makeFifo, writeFifo } from "../testing/mod.ts";
import type { AgentEvent, AgentOptions } from "./agent.ts";
import { environmentFacts, initialContext } from "./context.ts";
import {
  baseInstructions,
  instructionsVariant,
  PATCH_EXAMPLES,
  SHELL_EDIT_EXAMPLE,
} from "./base_instructions.ts";
import { permissionsText } from "./prompts.ts";
import { SubAgentManager } from "./subagents.ts";
import { collabAgent, collabBackend, outputOf, textOf } from "./testdata/collab.ts";

const MODELS = ["gpt-5.1-codex", "gpt-5.4", "gpt-5.2-codex", "gpt-5.1", "gpt-5", "my-local-model"];
const PERSONALITIES: Personality[] = ["none", "friendly", "pragmatic"];

/** The tool sets a session can declare, as setup builds them from config and feature flags. */
const TOOL_SETS: Record<string, (model: string) => DefaultToolsOptions & { agents?: boolean }> = {
  main: () => ({ agents: true }),
  "sub-agent": () => ({ userInput: false }),
  "shell_command": () => ({ unifiedExec: false, shellType: "shell_command", agents: true }),
  "shell argv": () => ({ unifiedExec: false, shellType: "shell" }),
  "apply_patch function": () => ({ applyPatch: "function" }),
  "every feature": () => ({
    agents: true,
    codeMode: new CodeCells(),
    requestPermissions: { grants: new PermissionGrants() },
    experimentalTools: ["grep_files", "read_file", "list_dir"],
    webSearch: false,
    afterCommands: new McpManager([], { clientVersion: "0.0.0" }).resourceTools(),
  }),
};

function buildTools(
  processes: ProcessManager,
  model: string,
  set: DefaultToolsOptions & { agents?: boolean },
): ToolRegistry {
  const { agents, ...options } = set;
  const registry = defaultTools(processes, {
    applyPatch: modelInfo(model).applyPatch ? "freeform" : false,
    ...options,
  });
  if (agents) {
    new SubAgentManager({ childTools: () => defaultTools(processes, { userInput: false }) })
      .register(registry);
  }
  return registry;
}

interface Variant {
  label: string;
  model: string;
  personality: Personality;
  tools: ToolRegistry;
  text: string;
}

function variants(processes: ProcessManager): Variant[] {
  return MODELS.flatMap((model) =>
    Object.entries(TOOL_SETS).flatMap(([set, options]) =>
      PERSONALITIES.map((personality) => {
        const tools = buildTools(processes, model, options(model));
        return {
          label: `${model} / ${set} / ${personality}`,
          model,
          personality,
          tools,
          text: baseInstructions({ model, personality, tools }),
        };
      })
    )
  );
}

/** Every tool name any session can declare: the maximal sets of each kind. */
function knownToolNames(processes: ProcessManager): Set<string> {
  const names = new Set<string>();
  for (const options of Object.values(TOOL_SETS)) {
    for (const name of buildTools(processes, "gpt-5.1-codex", options("")).names) names.add(name);
  }
  for (const tool of shellTools(processes)) names.add(tool.name);
  return names;
}

const backticked = (text: string) => [...text.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]);

/** `Example \`tool\` call:` blocks, as the instructions write them. */
function exampleCalls(text: string): Array<{ tool: string; args: Record<string, unknown> }> {
  return [...text.matchAll(/Example `(\w+)` call:\n```json\n(.*)\n```/g)].map((m) => ({
    tool: m[1],
    args: JSON.parse(m[2]),
  }));
}

/** The bodies of the fenced code blocks whose info string is `info`. */
function fencedBlocks(text: string, info: string): string[] {
  const blocks: string[] = [];
  let open: { info: string; lines: string[] } | undefined;
  for (const line of text.split("\n")) {
    if (!line.startsWith("```")) open?.lines.push(line);
    else if (open) {
      if (open.info === info) blocks.push(open.lines.join("\n"));
      open = undefined;
    } else open = { info: line.slice(3), lines: [] };
  }
  assert.equal(open, undefined, "a code block is left open");
  return blocks;
}

Deno.test("every tool the instructions name is declared in that session, and each declared tool is described", () => {
  const processes = new ProcessManager();
  const known = knownToolNames(processes);
  for (const v of variants(processes)) {
    const named = new Set(backticked(v.text).filter((word) => known.has(word)));
    for (const name of named) {
      assert.ok(v.tools.names.includes(name), `${v.label}: names \`${name}\`, not declared`);
    }
    for (const name of v.tools.names) {
      assert.ok(named.has(name), `${v.label}: declares ${name} but never describes it`);
    }
  }
});

Deno.test("every example call validates against the schema of the tool it calls", () => {
  const processes = new ProcessManager();
  let checked = 0;
  for (const v of variants(processes)) {
    const examples = exampleCalls(v.text);
    assert.equal(
      examples.length,
      fencedBlocks(v.text, "json").length,
      `${v.label}: a JSON block that is not an example call`,
    );
    for (const { tool, args } of examples) {
      const def = v.tools.get(tool);
      assert.ok(def?.kind === "function", `${v.label}: example of ${tool}, not a function tool`);
      const parsed = (def as Extract<ToolDef, { kind: "function" }>).parameters.safeParse(args);
      assert.ok(parsed.success, `${v.label}: ${tool} ${JSON.stringify(args)}: ${parsed.error}`);
      checked++;
    }
  }
  assert.ok(checked > 100);
});

/** The Lark grammar apply_patch declares, as a line machine: what a constrained model can emit. */
function fitsPatchGrammar(patch: string): boolean {
  const lines = patch.split("\n");
  if (lines[0] !== "*** Begin Patch" || lines.at(-1) !== "*** End Patch") return false;
  const body = lines.slice(1, -1);
  let i = 0;
  let hunks = 0;
  const take = (test: (line: string) => boolean) => i < body.length && test(body[i]) && ++i > 0;
  while (i < body.length) {
    hunks++;
    if (take((l) => /^\*\*\* Add File: .+$/.test(l))) {
      let added = 0;
      while (take((l) => l.startsWith("+"))) added++;
      if (added === 0) return false;
    } else if (take((l) => /^\*\*\* Delete File: .+$/.test(l))) {
      continue;
    } else if (take((l) => /^\*\*\* Update File: .+$/.test(l))) {
      take((l) => /^\*\*\* Move to: .+$/.test(l));
      while (take((l) => /^(@@|@@ .+|[-+ ].*)$/.test(l)));
      take((l) => l === "*** End of File");
    } else return false;
  }
  return hunks > 0;
}

interface Scripted {
  cwd: string;
  events: AgentEvent[];
  /** The output each call got, by call id, as the last request carried it. */
  output(callId: string): string;
  requests: Array<{ instructions: string; input: ResponseItem[] }>;
}

/** Runs one turn of a real Agent with `tools` against a scripted model. */
async function scripted(
  tools: (processes: ProcessManager) => ToolRegistry,
  script: ScenarioInput,
  options: Partial<AgentOptions> & {
    prepare?: (cwd: string) => Promise<void>;
    /** Runs before the backend answers the main agent's request `index` (0-based). */
    beforeRequest?: (index: number) => Promise<void>;
  } = {},
): Promise<Scripted> {
  const { prepare, beforeRequest, ...agentOptions } = options;
  const backend = await collabBackend(
    script,
    undefined,
    async (route, servers) => {
      if (route === "main") await beforeRequest?.(servers.main.requests.length);
    },
  );
  const run = await collabAgent(backend, tools, agentOptions);
  try {
    await prepare?.(run.cwd);
    await run.agent.runTurn(["Go."]);
  } finally {
    await run.close();
  }
  const requests = backend.main.requests.map((r) => r.body as Scripted["requests"][number]);
  for (const body of requests) assert.deepEqual(requestInvariantViolations(body), []);
  const last = requests.at(-1)!.input;
  return {
    cwd: run.cwd,
    events: run.events,
    requests,
    output: (callId) => {
      const output = outputOf(last, callId);
      assert.equal(typeof output, "string", `no text output for ${callId}`);
      return output as string;
    },
  };
}

const say = (text: string) => ({ output: [{ type: "message" as const, text }] });
const functionCall = (call_id: string, name: string, args: Record<string, unknown>) => ({
  output: [{ type: "function_call" as const, call_id, name, arguments: args }],
});

function instructionsFor(model: string, set: keyof typeof TOOL_SETS): string {
  return baseInstructions({
    model,
    tools: buildTools(new ProcessManager(), model, TOOL_SETS[set](model)),
  });
}

Deno.test("the apply_patch examples fit the declared grammar and apply in order with the freeform tool", async () => {
  const text = instructionsFor("gpt-5.1-codex", "main");
  const patches = fencedBlocks(text, "").filter((block) => block.startsWith("*** Begin Patch"));
  assert.deepEqual(patches, PATCH_EXAMPLES, "the examples the text shows are the ones run here");
  for (const patch of patches) assert.ok(fitsPatchGrammar(patch), patch);
  const run = await scripted((p) => buildTools(p, "gpt-5.1-codex", {}), {
    responses: [
      ...patches.map((input, i) => ({
        output: [{
          type: "custom_tool_call" as const,
          call_id: `p${i}`,
          name: "apply_patch",
          input,
        }],
      })),
      say("Done."),
    ],
  });
  assert.match(run.output("p0"), /^Exit code: 0\n[^]*\nA src\/greet\.py\n$/);
  assert.match(run.output("p1"), /\nA tests\/test_greet\.py\nM src\/greet\.py\n$/);
  assert.match(run.output("p2"), /\nM src\/greeting\.py\nD tests\/test_greet\.py\n$/);
  assert.equal(
    readFileSync(join(run.cwd, "src/greeting.py"), "utf8"),
    'def greet(name: str) -> str:\n    return f"Hello, {name}!"\n',
  );
  assert.equal(existsSync(join(run.cwd, "src/greet.py")), false);
  assert.equal(existsSync(join(run.cwd, "tests/test_greet.py")), false);
});

Deno.test("the function form of apply_patch takes the same examples as its input", async () => {
  const text = instructionsFor("gpt-5.1-codex", "apply_patch function");
  assert.match(text, /giving the whole patch as its `input` string/);
  const run = await scripted((p) => buildTools(p, "gpt-5.1-codex", { applyPatch: "function" }), {
    responses: [
      ...PATCH_EXAMPLES.map((input, i) => functionCall(`p${i}`, "apply_patch", { input })),
      say("Done."),
    ],
  });
  for (const id of ["p0", "p1", "p2"]) assert.match(run.output(id), /^Exit code: 0\n/);
  assert.equal(existsSync(join(run.cwd, "src/greeting.py")), true);
});

Deno.test("without a patch tool the instructions edit through the shell, and their example works", async () => {
  for (const model of ["gpt-5", "my-local-model"]) {
    const text = instructionsFor(model, "main");
    assert.equal(
      instructionsVariant({ model, tools: buildTools(new ProcessManager(), model, {}) })
        .editing,
      "shell",
    );
    assert.deepEqual(fencedBlocks(text, "sh"), [SHELL_EDIT_EXAMPLE]);
    assert.doesNotMatch(text, /Begin Patch/);
  }
  const run = await scripted((p) => buildTools(p, "gpt-5", {}), {
    responses: [functionCall("e1", "exec_command", { cmd: SHELL_EDIT_EXAMPLE }), say("Done.")],
  }, { model: "gpt-5" });
  assert.match(run.output("e1"), /Process exited with code 0/);
  assert.equal(
    readFileSync(join(run.cwd, "src/greet.py"), "utf8"),
    'def greet(name):\n    return f"Hello, {name}!"\n',
  );
});

Deno.test("the command examples run: exec_command replies as described, write_stdin polls a running one to its end", async () => {
  const examples = exampleCalls(instructionsFor("gpt-5.1-codex", "main"));
  const exec = examples.find((e) => e.tool === "exec_command")!.args;
  const poll = examples.find((e) => e.tool === "write_stdin")!.args;
  // c2 is still running when its yield ends, whatever the load: it waits on a FIFO the test writes
  // only once c2's reply has reached the backend, so the poll then sees it finish.
  let gate = "";
  const run = await scripted((p) => buildTools(p, "gpt-5.1-codex", {}), {
    responses: [
      functionCall("c1", "exec_command", exec),
      functionCall("c2", "exec_command", {
        cmd: "read -r _ < gate; echo finished",
        yield_time_ms: 250,
      }),
      // The example's session id stands for the one the reply gave.
      functionCall("c3", "write_stdin", { ...poll, session_id: "{{exec_session:c2}}" }),
      say("Done."),
    ],
  }, {
    prepare: async (cwd) => {
      await mkdir(join(cwd, String(exec.workdir)));
      gate = makeFifo(cwd, "gate");
    },
    beforeRequest: async (index) => {
      if (index === 2) await writeFifo(gate, "go\n");
    },
  });
  assert.match(run.output("c1"), /\nProcess exited with code \d+\n/);
  assert.match(run.output("c2"), /\nProcess running with session ID \d+\n/);
  assert.match(run.output("c3"), /\nProcess exited with code 0\n[^]*finished\n$/);
});

Deno.test("the one-shot command examples run with shell_command and shell", async () => {
  for (const set of ["shell_command", "shell argv"] as const) {
    const tool = set === "shell argv" ? "shell" : "shell_command";
    const example = exampleCalls(instructionsFor("gpt-5.1-codex", set)).find((e) =>
      e.tool === tool
    )!;
    const run = await scripted((p) => buildTools(p, "gpt-5.1-codex", TOOL_SETS[set]("")), {
      responses: [functionCall("s1", example.tool, example.args), say("Done.")],
    }, { prepare: (cwd) => mkdir(join(cwd, String(example.args.workdir))) });
    assert.match(run.output("s1"), /^Exit code: \d+\nWall time: /, `${set}: ${run.output("s1")}`);
  }
});

Deno.test("the update_plan example is accepted and reaches the user as the plan", async () => {
  const example = exampleCalls(instructionsFor("gpt-5.4", "main"))
    .find((e) => e.tool === "update_plan")!.args;
  const run = await scripted((p) => buildTools(p, "gpt-5.4", {}), {
    // A progress note beside a tool call does not end the turn, as the instructions say.
    responses: [
      {
        output: [
          { type: "message", text: "Planning the fix." },
          ...functionCall("u1", "update_plan", example).output,
        ],
      },
      say("Done."),
    ],
  });
  assert.equal(run.output("u1"), "Plan updated");
  const plan = run.events.find((e) => e.type === "tool_event" && e.event.type === "plan_updated");
  assert.ok(plan, "a plan_updated event");
  assert.deepEqual(
    (plan as { event: { plan: unknown; explanation?: unknown } }).event,
    { type: "plan_updated", callId: "u1", ...example },
  );
  assert.equal(run.requests.length, 2, "the note with a call went on; the message alone ended it");
});

Deno.test("the spawn_agent example starts a helper, told only about the tools it has", async () => {
  const text = instructionsFor("gpt-5.1-codex", "main");
  const example = exampleCalls(text).find((e) => e.tool === "spawn_agent")!.args;
  assert.match(text, /`<subagent_notification>`/);
  const backend = await collabBackend({
    responses: [
      functionCall("c1", "spawn_agent", example),
      functionCall("c2", "wait_agent", {
        ids: ["{{output_field:c1:agent_id}}"],
        timeout_ms: 30000,
      }),
      say("Done."),
    ],
  }, { responses: [say("Two callers: a.ts:3 and b.ts:9.")] });
  const processes = new ProcessManager();
  const childTools = () => defaultTools(processes, { userInput: false, applyPatch: "freeform" });
  const manager = new SubAgentManager({
    childTools,
    childInstructions: (model, tools) => baseInstructions({ model, tools }),
    newAgentId: () => "agent-1",
  });
  const main = await collabAgent(backend, (p) => {
    const registry = defaultTools(p, { applyPatch: "freeform" });
    manager.register(registry);
    return registry;
  });
  manager.attach(main.agent);
  try {
    await main.agent.runTurn(["Find the callers"]);
    const [first] = backend.sub.requests.map((r) =>
      r.body as { instructions: string; input: ResponseItem[] }
    );
    assert.equal(textOf(first.input.at(-1)), example.message);
    assert.equal(
      first.instructions,
      baseInstructions({ model: "gpt-5.1-codex", tools: childTools() }),
    );
    assert.doesNotMatch(first.instructions, /spawn_agent|request_user_input/);
    const waited = JSON.parse(String(outputOf(main.inputs().at(-1)!, "c2")));
    assert.deepEqual(waited.status, {
      "agent-1": { completed: "Two callers: a.ts:3 and b.ts:9." },
    });
  } finally {
    await manager.shutdown();
    processes.killAll();
    await main.close();
  }
});

Deno.test("the context the instructions point to is what a session opens with", () => {
  const text = instructionsFor("gpt-5.1", "main");
  const texts = initialContext({
    environment: environmentFacts("/work", "/bin/bash"),
    sandboxMode: "read-only",
    approvalPolicy: "never",
    userInstructions: "Run make test.",
  }).flatMap((item) => (item as { content: Array<{ text: string }> }).content.map((c) => c.text));
  for (
    const opening of [
      "<permissions instructions>",
      "<environment_context>",
      "# AGENTS.md instructions for",
    ]
  ) {
    assert.ok(text.includes(`\`${opening}\``), `the instructions mention ${opening}`);
    assert.ok(texts.some((t) => t.startsWith(opening)), `a context text opens with ${opening}`);
  }
  // The sandbox modes and approval policies the instructions list are the ones there are.
  for (const name of [...SandboxMode.options, ...ApprovalPolicy.options]) {
    assert.ok(text.includes(`\`${name}\``), name);
  }
});

const NO_BWRAP = sandboxMissing("the permission-text tests that need a bubblewrap sandbox");

Deno.test({
  name:
    "permissions: on-request's escalation fields reach the user; the other policies' texts say to leave them unset, and the loop refuses them",
  ignore: NO_BWRAP,
  fn: async () => {
    const onRequest = permissionsText("read-only", "on-request", [], false);
    const field = /set `(\w+)` to `"(\w+)"` and give a `(\w+)`/.exec(onRequest);
    assert.ok(field, onRequest);
    const [, permissionsField, value, justificationField] = field;
    const asked: Array<string | undefined> = [];
    const escalated = {
      cmd: "touch made",
      [permissionsField]: value,
      [justificationField]: "Allow creating a file?",
    };
    const run = (policy: ApprovalPolicy) =>
      scripted((p) => buildTools(p, "gpt-5.1-codex", {}), {
        responses: [functionCall("x1", "exec_command", escalated), say("Done.")],
      }, {
        sandbox: { mode: "read-only" },
        approvals: new CommandApprovals(policy, (request) => {
          asked.push(request.justification);
          return Promise.resolve("approved");
        }),
      });
    const approved = await run("on-request");
    assert.deepEqual(asked, ["Allow creating a file?"]);
    assert.equal(existsSync(join(approved.cwd, "made")), true);
    for (const policy of ["never", "on-failure", "untrusted"] as const) {
      assert.match(
        permissionsText("read-only", policy, [], false),
        /`sandbox_permissions` unset|leave that field\s+unset/,
      );
      const refused = await run(policy);
      assert.match(refused.output("x1"), /reject command/);
      assert.equal(existsSync(join(refused.cwd, "made")), false, policy);
    }
    assert.equal(asked.length, 1, "nobody was asked under the other policies");
  },
});

Deno.test("personality: pragmatic by default where the catalog takes one, friendly or none on request, ignored elsewhere", () => {
  const tools = buildTools(new ProcessManager(), "gpt-5.4", {});
  const section = (text: string) => /# Personality\n\n(.*)/.exec(text)?.[1];
  const pragmatic = section(baseInstructions({ model: "gpt-5.4", tools }));
  assert.match(pragmatic!, /^You are a pragmatic engineer/);
  assert.equal(
    section(baseInstructions({ model: "gpt-5.4", personality: "pragmatic", tools })),
    pragmatic,
  );
  assert.match(
    section(baseInstructions({ model: "gpt-5.4", personality: "friendly", tools }))!,
    /^You are a warm, patient teammate/,
  );
  assert.equal(
    section(baseInstructions({ model: "gpt-5.4", personality: "none", tools })),
    undefined,
  );
  for (const model of ["gpt-5.1-codex", "gpt-5.1", "my-local-model"]) {
    assert.equal(modelInfo(model).personality, false);
    const text = baseInstructions({ model, personality: "friendly", tools });
    assert.equal(text, baseInstructions({ model, personality: "none", tools }), model);
  }
});

/** Sizes in characters; the table in docs/PROMPTS.md is checked against the same renders. */
const BUDGET = { compact: [9_000, 18_000], full: [13_000, 22_000] } as const;

Deno.test("every variant is within its family's size budget, and docs/PROMPTS.md lists the sizes as they are", () => {
  const processes = new ProcessManager();
  for (const v of variants(processes)) {
    const [min, max] = BUDGET[modelInfo(v.model).instructions];
    assert.ok(v.text.length >= min && v.text.length <= max, `${v.label}: ${v.text.length}`);
  }
  // Cells compared without the padding `deno fmt` gives the table's columns.
  const cells = (row: string) => row.split("|").map((cell) => cell.trim()).join("|");
  const doc = readFileSync(new URL("../../docs/PROMPTS.md", import.meta.url), "utf8")
    .split("\n").map(cells);
  const rows = sizeTable(processes);
  const missing = rows.filter((row) => !doc.includes(cells(row)));
  assert.deepEqual(missing, [], `docs/PROMPTS.md's size table should read:\n${rows.join("\n")}`);
});

/** The rows of the size table in docs/PROMPTS.md: characters per model and tool set. */
function sizeTable(processes: ProcessManager): string[] {
  return MODELS.map((model) => {
    const size = (set: keyof typeof TOOL_SETS, personality?: Personality) =>
      baseInstructions({
        model,
        personality,
        tools: buildTools(processes, model, TOOL_SETS[set](model)),
      }).length;
    const info = modelInfo(model);
    const editing = instructionsVariant({ model, tools: buildTools(processes, model, {}) }).editing;
    const personalities = info.personality
      ? `${size("main", "friendly")} / ${size("main", "none")}`
      : "—";
    return `| ${model} | ${info.instructions} | ${editing} | ${size("main")} | ` +
      `${size("sub-agent")} | ${personalities} |`;
  });
}
