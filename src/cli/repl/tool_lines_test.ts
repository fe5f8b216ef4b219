import assert from "node:assert/strict";
import type { ToolCallItem } from "../../protocol/mod.ts";
import type { CommandMetadata } from "../../tools/mod.ts";
import { commandOf, patchLine, planLines, toolLine, webSearchLine } from "./tool_lines.ts";

const fn = (name: string, args: unknown): ToolCallItem => ({
  type: "function_call",
  call_id: "c",
  name,
  arguments: typeof args === "string" ? args : JSON.stringify(args),
});

Deno.test("command lines: the command, then its first output line or what became of it", () => {
  // The reply text is the model's; the line reads the call's metadata.
  const text = "Chunk ID: ab12\nWall time: 0.1 seconds\n…";
  const facts = (output: string, more: Partial<CommandMetadata> = { exitCode: 0 }) => ({
    kind: "command" as const,
    command: "/bin/bash -lc 'ls -A'",
    cwd: "/w",
    output,
    wallMs: 100,
    ...more,
  });
  const exec = fn("exec_command", { cmd: "ls -A" });
  assert.equal(
    toolLine(exec, text, facts("\nREADME.md\nsrc\n")),
    "[exec_command] ls -A -> README.md",
  );
  assert.equal(
    toolLine(exec, text, facts("", { sessionId: 1234 })),
    "[exec_command] ls -A -> session_id=1234",
  );
  assert.equal(
    toolLine(exec, text, facts("", { exitCode: 3 })),
    "[exec_command] ls -A -> (no output, exit 3)",
  );
  assert.equal(
    toolLine(exec, "aborted by user after 1.2s"),
    "[exec_command] ls -A -> aborted by user after 1.2s",
  );
  const shell = fn("shell_command", { command: "echo hi" });
  assert.equal(
    toolLine(shell, "Exit code: 0\nWall time: 0.1 seconds\nOutput:\nhi\n", facts("hi\n")),
    "[shell_command] echo hi -> hi",
  );
  assert.equal(commandOf(fn("shell", { command: ["bash", "-lc", "make"] })), "bash -lc make");
  assert.equal(commandOf(fn("view_image", { path: "a.png" })), undefined);
  assert.equal(
    toolLine(exec, text, facts("x".repeat(200))).length,
    "[exec_command] ls -A -> ".length + 96,
  );
});

Deno.test("failed calls are drawn as errors naming the tool", () => {
  assert.equal(
    toolLine(fn("exec_command", "{oops"), "failed to parse function arguments: bad JSON"),
    "[error] exec_command failed: failed to parse function arguments: bad JSON",
  );
  assert.equal(
    toolLine(fn("view_image", { path: "x" }), "view_image failed: no such file: x"),
    "[error] view_image failed: no such file: x",
  );
  assert.equal(
    toolLine(fn("nope", {}), "unsupported call: nope"),
    "[error] nope failed: unsupported call: nope",
  );
  const patch: ToolCallItem = {
    type: "custom_tool_call",
    call_id: "p",
    name: "apply_patch",
    input: "",
  };
  assert.equal(
    toolLine(patch, "apply_patch verification failed: missing file"),
    "[error] apply_patch failed: apply_patch verification failed: missing file",
  );
});

Deno.test("the plan is a checklist; patches list their files; web searches what they did", () => {
  assert.deepEqual(
    planLines([
      { step: "a", status: "completed" },
      { step: "b", status: "in_progress" },
      { step: "c", status: "pending" },
    ], "next up"),
    ["[update_plan] Working on 2/3: next up", "  [x] a", "  [>] b", "  [ ] c"],
  );
  assert.equal(planLines([{ step: "a", status: "completed" }])[0], "[update_plan] Done 1/1");
  assert.equal(
    patchLine([
      { path: "/w/a.txt", kind: "add" },
      { path: "/w/src/b.ts", kind: "update" },
      { path: "/w/c", kind: "delete" },
    ], "/w"),
    "[apply_patch] added a.txt, updated src/b.ts, deleted c",
  );
  const search = (action: unknown) => webSearchLine({ type: "web_search_call", action });
  assert.equal(search({ type: "search", query: "deno" }), "[web_search] searched: deno");
  assert.equal(
    search({ type: "open_page", url: "https://x.test" }),
    "[web_search] opened: https://x.test",
  );
  assert.equal(
    search({ type: "find_in_page", pattern: "p", url: "https://x.test" }),
    "[web_search] found: p @ https://x.test",
  );
});
