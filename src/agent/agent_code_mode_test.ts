// Code mode end to end: the model's exec cells run in real child processes, call exec_command
// through `tools`, yield, and are collected or terminated with exec_wait — all inside a real
// agent loop against a scripted backend, the replies framed as upstream 0.115.0 frames them.
import assert from "node:assert/strict";
import process from "node:process";
import { z } from "zod";
import { requestInvariantViolations } from "../fake/mod.ts";
import type { ContentPart } from "../protocol/mod.ts";
import {
  CodeCells,
  DEFAULT_CELL_YIELD_MS,
  defaultTools,
  defineFunctionTool,
} from "../tools/mod.ts";
import { collabAgent, collabBackend, deferred, outputOf } from "./testdata/collab.ts";

const cell = (call_id: string, input: string) => ({
  type: "custom_tool_call" as const,
  call_id,
  name: "exec",
  input,
});
const wait = (call_id: string, args: Record<string, unknown>) => ({
  type: "function_call" as const,
  call_id,
  name: "exec_wait",
  arguments: args,
});

const texts = (output: unknown) => (output as ContentPart[]).map((part) => part.text);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

Deno.test("exec: a cell runs exec_command through tools, yields, and exec_wait collects the rest", async () => {
  const backend = await collabBackend({
    responses: [
      {
        output: [cell(
          "x1",
          [
            'const first = await tools.exec_command({cmd: "echo from-tool"});',
            "text(first.output.trim());",
            "text({exit: first.exit_code});",
            "yield_control();",
            "await tools.gate({});",
            'const second = await tools.exec_command({cmd: "echo after-yield"});',
            "text(second.output.trim());",
          ].join("\n"),
        )],
      },
      { output: [wait("w1", { cell_id: "1", yield_time_ms: 20000 })] },
      { output: [wait("w2", { cell_id: "1" })] },
      { output: [{ type: "message", text: "done" }] },
    ],
  });
  // The cell waits in `gate` until exec_wait is called, so the two replies split deterministically.
  const waiting = deferred();
  const gate = defineFunctionTool({
    kind: "function",
    name: "gate",
    description: "opens when the model starts waiting",
    parameters: z.object({}),
    async execute() {
      await waiting.promise;
      return "open";
    },
  });
  const cells = new CodeCells();
  const t = await collabAgent(backend, (processes) => {
    const registry = defaultTools(processes, { codeMode: cells });
    registry.register(gate);
    return registry;
  }, {
    onEvent: (event) => {
      if (event.type === "tool_started" && event.call.call_id === "w1") waiting.resolve();
    },
  });
  try {
    await t.agent.runTurn(["use code mode"]);
    const inputs = t.inputs();
    const first = outputOf(inputs[1], "x1");
    assert.deepEqual(texts(first).slice(1), ["from-tool", '{"exit":0}']);
    assert.match(
      (first as ContentPart[])[0].text as string,
      /^Script running with cell ID 1\nWall time \d+\.\d seconds\nOutput:\n$/,
    );
    const rest = outputOf(inputs[2], "w1") as ContentPart[];
    assert.match(
      rest[0].text as string,
      /^Script completed\nWall time \d+\.\d seconds\nOutput:\n$/,
    );
    assert.deepEqual(texts(rest).slice(1), ["after-yield"]);
    // Reported finished, the cell is gone.
    const gone = outputOf(inputs[3], "w2") as ContentPart[];
    assert.match(gone[0].text as string, /^Script failed\nWall time \d+\.\d seconds\nOutput:\n$/);
    assert.deepEqual(texts(gone).slice(1), ["Script error:\nexec cell 1 not found"]);
    for (const request of backend.main.requests) {
      assert.deepEqual(requestInvariantViolations(request.body), []);
    }
  } finally {
    await cells.close();
    await t.close();
  }
});

Deno.test("exec: a runaway cell yields on its pragma's time and exec_wait terminates it", async () => {
  const backend = await collabBackend({
    responses: [
      {
        output: [
          cell("x1", '// @exec: {"yield_time_ms": 200}\ntext("spinning");\nwhile (true) {}\n'),
        ],
      },
      { output: [wait("w1", { cell_id: "1", terminate: true })] },
      { output: [{ type: "message", text: "stopped" }] },
    ],
  });
  const cells = new CodeCells();
  let pid: number | undefined;
  const t = await collabAgent(
    backend,
    (processes) => defaultTools(processes, { codeMode: cells }),
    {
      onEvent: (event) => {
        if (event.type === "tool_started" && event.call.call_id === "w1") pid = cells.get("1")?.pid;
      },
    },
  );
  try {
    await t.agent.runTurn(["spin"]);
    const inputs = t.inputs();
    // The cell never ends and never yields by itself, so a "running" reply can only come from
    // the pragma's timer, well before the default one. How much of the cell ran by then depends on
    // how fast its process started, so its output is not part of the check.
    const running = outputOf(inputs[1], "x1") as string | ContentPart[];
    const header = typeof running === "string" ? running : String(running[0].text);
    const wall = header.match(/^Script running with cell ID 1\nWall time (\d+\.\d) seconds\n/);
    assert.ok(wall, header);
    assert.ok(Number(wall[1]) * 1000 < DEFAULT_CELL_YIELD_MS, header);
    assert.match(
      String(outputOf(inputs[2], "w1")),
      /^Script terminated\nWall time \d+\.\d seconds\nOutput:\n$/,
    );
    assert.ok(pid !== undefined);
    assert.equal(alive(pid), false, "the cell's process is gone");
  } finally {
    await cells.close();
    await t.close();
  }
});

Deno.test("exec: an interrupted turn terminates the cell it was waiting on", async () => {
  const backend = await collabBackend({
    responses: [{ output: [cell("x1", "await tools.interrupt({});\nwhile (true) {}")] }],
  });
  const cells = new CodeCells();
  const abort = new AbortController();
  let pid: number | undefined;
  // Called from inside the cell, so the cell is surely running when the turn is interrupted.
  const interrupt = defineFunctionTool({
    kind: "function",
    name: "interrupt",
    description: "interrupts the turn",
    parameters: z.object({}),
    execute() {
      pid = cells.get("1")?.pid;
      abort.abort();
      return Promise.resolve("interrupted");
    },
  });
  const t = await collabAgent(backend, (processes) => {
    const registry = defaultTools(processes, { codeMode: cells });
    registry.register(interrupt);
    return registry;
  });
  try {
    await assert.rejects(t.agent.runTurn(["spin"], abort.signal), /interrupted/);
    assert.ok(pid !== undefined);
    assert.equal(alive(pid), false, "the cell's process is gone");
    const output = t.agent.history.find((item) => item.type === "custom_tool_call_output");
    assert.ok(output, "the call is answered");
  } finally {
    await cells.close();
    await t.close();
  }
});
