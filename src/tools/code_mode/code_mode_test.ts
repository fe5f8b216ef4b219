// Code cells through the tool registry, each in a real child process: the cell globals, errors,
// output budgets, stored values across cells, isolation, and the reply framing upstream uses.
import assert from "node:assert/strict";
import { mkdtemp, realpath, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ContentPart, ToolOutput } from "../../protocol/mod.ts";
import { applyPatchTool } from "../apply_patch.ts";
import { execCommandTools } from "../exec_command.ts";
import { ProcessManager } from "../processes.ts";
import { ToolRegistry } from "../registry.ts";
import { updatePlanTool } from "../update_plan.ts";
import type { SandboxPolicy } from "../sandbox.ts";
import { sandboxMissing } from "../command_testing.ts";
import { cellReply, CodeCells, scriptValue } from "./cells.ts";
import { parsePragma } from "./exec_tool.ts";
import { codeModeTools } from "./mod.ts";

interface Session {
  exec(source: string): Promise<ToolOutput>;
  wait(args: Record<string, unknown>): Promise<ToolOutput>;
  cwd: string;
  close(): Promise<void>;
}

async function session(sandbox?: SandboxPolicy): Promise<Session> {
  const cwd = await realpath(await mkdtemp(join(tmpdir(), "code-mode-")));
  const processes = new ProcessManager();
  const cells = new CodeCells();
  const registry: ToolRegistry = new ToolRegistry([
    ...codeModeTools(cells, () => registry),
    ...execCommandTools(processes),
    applyPatchTool(),
  ]);
  let calls = 0;
  const ctx = () => ({ signal: new AbortController().signal, cwd, callId: `c${++calls}`, sandbox });
  return {
    cwd,
    exec: async (input) =>
      (await registry.run({ type: "custom_tool_call", call_id: "x", name: "exec", input }, ctx()))
        .output,
    wait: async (args) =>
      (await registry.run({
        type: "function_call",
        call_id: "w",
        name: "exec_wait",
        arguments: JSON.stringify(args),
      }, ctx())).output,
    close: async () => {
      await cells.close();
      processes.killAll();
    },
  };
}

/** Wall times depend on the machine's load; the framing around them is what is checked. */
const steady = (text: string) => text.replace(/Wall time \d+\.\d seconds/, "Wall time 0.0 seconds");

const texts = (output: ToolOutput) =>
  typeof output === "string"
    ? [steady(output)]
    : output.map((part) => typeof part.text === "string" ? steady(part.text) : part.image_url);

Deno.test("cell globals: text renders values, console prints, ALL_TOOLS lists callable tools, timers are absent", async () => {
  const s = await session();
  try {
    const output = await s.exec([
      "text(undefined); text(null); text({a: 1}); text(3); text('plain');",
      "console.log('log', {b: 2});",
      "text(JSON.stringify(ALL_TOOLS.map((t) => t.name)));",
      "text(typeof setTimeout + ' ' + typeof fetch + ' ' + typeof process);",
      "image('data:image/png;base64,AAAA');",
    ].join("\n"));
    assert.deepEqual(texts(output), [
      "Script completed\nWall time 0.0 seconds\nOutput:\n",
      "undefined",
      "null",
      '{"a":1}',
      "3",
      "plain",
      'log {"b":2}',
      '["apply_patch","exec_command","write_stdin"]',
      "undefined undefined undefined",
      "data:image/png;base64,AAAA",
    ]);
    assert.equal((output as ContentPart[]).at(-1)?.type, "input_image");
  } finally {
    await s.close();
  }
});

Deno.test("a cell with no output replies with the bare header, as upstream", async () => {
  const s = await session();
  try {
    assert.deepEqual(texts(await s.exec("1 + 1;")), [
      "Script completed\nWall time 0.0 seconds\nOutput:\n",
    ]);
  } finally {
    await s.close();
  }
});

Deno.test("store and load keep JSON values across cells of a session", async () => {
  const s = await session();
  try {
    await s.exec("store('plan', {steps: ['a', 'b']}); store('n', 1);");
    const output = await s.exec(
      "const plan = load('plan'); plan.steps.push('mutated');\n" +
        "text(load('plan')); text(load('n')); text(load('missing'));",
    );
    assert.deepEqual(texts(output).slice(1), ['{"steps":["a","b"]}', "1", "undefined"]);
  } finally {
    await s.close();
  }
});

Deno.test("errors: thrown errors carry the script's line, syntax errors fail before running", async () => {
  const s = await session();
  try {
    const thrown = await s.exec("text('before');\nconst x = 1;\nthrow new Error('boom');");
    assert.deepEqual(texts(thrown), [
      "Script failed\nWall time 0.0 seconds\nOutput:\n",
      "before",
      "Script error:\nError: boom\n    at cell:3:7",
    ]);
    const syntax = await s.exec("text('never');\nthis is not javascript(");
    assert.equal(texts(syntax).length, 2);
    assert.match(String(texts(syntax)[1]), /^Script error:\nSyntaxError: /);
    const bad = await s.exec('// @exec: {"yield_time_ms": "soon"}\ntext(1)');
    assert.match(String(texts(bad)[1]), /^Script error:\ninvalid @exec pragma: /);
  } finally {
    await s.close();
  }
});

Deno.test("nested calls: function tools need an object, freeform tools take their text", async () => {
  const s = await session();
  try {
    const output = await s.exec([
      "text(await tools.exec_command('echo no'));",
      "text(await tools.apply_patch('*** Begin Patch\\n*** Add File: made.txt\\n+hi\\n*** End Patch\\n'));",
      "text(await tools.exec_command({cmd: 'cat made.txt'}).then((r) => r.output));",
      "try { await tools.exec_command({}); } catch (e) { text('threw'); }",
      "try { tools.missing({}); } catch (e) { text(e.constructor.name); }",
    ].join("\n"));
    const [, stringArgs, patched, made, missingTool, ...rest] = texts(output);
    assert.equal(stringArgs, "tool `exec_command` expects a JSON object for arguments");
    assert.match(String(patched), /^Exit code: 0\n[\s\S]*A made\.txt/);
    assert.equal(made, "hi\n");
    assert.equal(missingTool, "TypeError");
    // A tool's failure is its reply, not an exception, as for the model's own calls.
    assert.deepEqual(rest, []);
  } finally {
    await s.close();
  }
});

Deno.test("a cell cannot reach the file system or the network on its own", async () => {
  const s = await session();
  try {
    const secret = join(s.cwd, "secret.txt");
    await writeFile(secret, "top secret");
    const output = await s.exec([
      "const runtime = globalThis.Deno ?? globalThis.Bun;",
      `try { text(runtime.readTextFileSync(${JSON.stringify(secret)})); }`,
      "catch (e) { text('no file: ' + e.name); }",
      "try { await globalThis.fetch('http://127.0.0.1:9/'); text('fetched'); }",
      "catch (e) { text('no network: ' + e.name); }",
    ].join("\n"));
    const [, file, network] = texts(output);
    assert.doesNotMatch(String(file), /top secret/);
    assert.match(String(file), /^no file: /);
    assert.match(String(network), /^no network: /);
  } finally {
    await s.close();
  }
});

Deno.test("exec_wait: more output on the next yield, max_tokens, unknown cells", async () => {
  const s = await session();
  try {
    const first = await s.exec([
      '// @exec: {"yield_time_ms": 20000}',
      "text('one'); yield_control();",
      "await tools.exec_command({cmd: 'true'});",
      "text('x'.repeat(400)); text('tail'); yield_control();",
      "while (true) {}",
    ].join("\n"));
    assert.deepEqual(texts(first).slice(1), ["one"]);
    assert.match(String(texts(first)[0]), /^Script running with cell ID 1\n/);
    const more = await s.wait({ cell_id: "1", max_tokens: 20 });
    assert.equal(texts(more).length, 2, "the texts are merged once cut");
    assert.match(String(texts(more)[0]), /^Script running with cell ID 1\n/);
    assert.match(
      String(texts(more)[1]),
      /^Total output lines: 2\n\nx+…\d+ tokens truncated…x*\ntail$/,
    );
    assert.deepEqual(texts(await s.wait({ cell_id: "1", terminate: true })), [
      "Script terminated\nWall time 0.0 seconds\nOutput:\n",
    ]);
    assert.deepEqual(texts(await s.wait({ cell_id: "7" })), [
      "Script failed\nWall time 0.0 seconds\nOutput:\n",
      "Script error:\nexec cell 7 not found",
    ]);
  } finally {
    await s.close();
  }
});

Deno.test("a cell whose process dies reports why", async () => {
  const s = await session();
  try {
    // The runtime's own exit, reached through the hidden global, stands in for a crash.
    const output = await s.exec(
      "text('last words');\nconst p = globalThis.process ?? globalThis.Deno; p.exit(3);",
    );
    assert.equal(texts(output)[0], "Script failed\nWall time 0.0 seconds\nOutput:\n");
    assert.match(
      String(texts(output).at(-1)),
      /^Script error:\nthe cell's process ended unexpectedly \(exit code 3\)/,
    );
  } finally {
    await s.close();
  }
});

Deno.test("scriptValue: command replies become upstream's structured value, others stay text", async () => {
  const processes = new ProcessManager();
  const registry = new ToolRegistry([...execCommandTools(processes), updatePlanTool()]);
  const call = (name: string, args: unknown) =>
    registry.execute(
      { type: "function_call", call_id: "c", name, arguments: JSON.stringify(args) },
      { signal: new AbortController().signal, cwd: Deno.cwd(), callId: "c" },
    );
  try {
    // The value holds what the model's text says, field for field.
    const exited = await call("exec_command", { cmd: "printf no; exit 2", login: false });
    const text = String(exited.item.output);
    const value = scriptValue(exited) as Record<string, unknown>;
    assert.deepEqual(value, {
      chunk_id: /Chunk ID: (\w+)/.exec(text)![1],
      wall_time_seconds: Number(/Wall time: ([\d.]+)/.exec(text)![1]),
      exit_code: 2,
      original_token_count: 1,
      output: "no",
    });
    const running = await call("exec_command", {
      cmd: "sleep 30",
      login: false,
      yield_time_ms: 250,
    });
    assert.equal(
      (scriptValue(running) as { session_id: number }).session_id,
      Number(/session ID (\d+)/.exec(String(running.item.output))![1]),
    );
    const plan = await call("update_plan", { plan: [{ step: "a", status: "pending" }] });
    assert.equal(scriptValue(plan), "Plan updated");
  } finally {
    processes.killAll();
  }
});

Deno.test("parsePragma and cellReply", () => {
  assert.deepEqual(parsePragma('// @exec: {"yield_time_ms": 5, "max_output_tokens": 9}\nx'), {
    yield_time_ms: 5,
    max_output_tokens: 9,
  });
  assert.deepEqual(parsePragma("text(1)"), {});
  assert.match(String(parsePragma("// @exec: {nope")), /^invalid @exec pragma/);
  assert.deepEqual(
    cellReply({ id: "3", state: "running" }, [{ type: "input_text", text: "hi" }], 1234, 100),
    [
      {
        type: "input_text",
        text: "Script running with cell ID 3\nWall time 1.2 seconds\nOutput:\n",
      },
      { type: "input_text", text: "hi" },
    ],
  );
});

Deno.test({
  name: "a cell runs inside the session's sandbox: read-only, it still computes and answers",
  ignore: sandboxMissing("the sandboxed code cell test"),
  async fn() {
    const s = await session({ mode: "read-only" });
    try {
      const output = await s.exec("text(6 * 7);");
      assert.match(texts(output).join("\n"), /42/);
    } finally {
      await s.close();
    }
  },
});
