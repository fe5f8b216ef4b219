import assert from "node:assert/strict";
import { type ToolEvent, ToolRegistry } from "./registry.ts";
import { updatePlanTool } from "./update_plan.ts";

async function update(args: unknown, events: ToolEvent[] = []): Promise<string> {
  const registry = new ToolRegistry([updatePlanTool()]);
  const item = await registry.run(
    { type: "function_call", call_id: "c1", name: "update_plan", arguments: JSON.stringify(args) },
    {
      signal: new AbortController().signal,
      cwd: "/",
      callId: "c1",
      onEvent: (e) => events.push(e),
    },
  );
  return String(item.output);
}

Deno.test("update_plan: acknowledges like upstream and tells the UI", async () => {
  const events: ToolEvent[] = [];
  const plan = [
    { step: "Read files", status: "completed" },
    { step: "Write code", status: "in_progress" },
  ];
  assert.equal(await update({ explanation: "Two steps", plan }, events), "Plan updated");
  assert.deepEqual(events, [{
    type: "plan_updated",
    callId: "c1",
    explanation: "Two steps",
    plan,
  }]);
  assert.equal(await update({ plan: [] }), "Plan updated");
});

Deno.test("update_plan: rejects invalid plans without telling the UI", async () => {
  const events: ToolEvent[] = [];
  const cases: Array<[unknown, string]> = [
    [
      { plan: [{ step: "a", status: "in_progress" }, { step: "b", status: "in_progress" }] },
      "failed to update plan: 2 steps are in_progress; at most one may be",
    ],
    [
      { plan: [{ step: "a", status: "done" }] },
      "failed to parse function arguments: unknown variant `done`, expected one of `pending`, " +
      "`in_progress`, `completed` at `plan[0].status`",
    ],
    [{ explanation: "x" }, "failed to parse function arguments: missing field `plan`"],
    [
      { plan: [{ status: "pending" }] },
      "failed to parse function arguments: missing field `step` at `plan[0]`",
    ],
  ];
  for (const [args, expected] of cases) assert.equal(await update(args, events), expected);
  // Only the debug log hears of them (tool_failed), never the plan on screen.
  assert.deepEqual(events.filter((event) => event.type !== "tool_failed"), []);
});
