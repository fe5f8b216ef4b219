// update_plan: the model's task list. Nothing runs; the plan goes to the UI as an event and the
// model gets upstream's acknowledgement. At most one step may be in progress at a time.
import { z } from "zod";
import { defineFunctionTool, type ToolDef } from "./registry.ts";

const DESCRIPTION = "Record your plan for the task as a list of short steps, each pending, " +
  "in_progress or completed, and update it as you go. Keep at most one step in_progress.";

// Upstream declares `explanation` and `step` without descriptions; the schema keeps that shape.
const UpdatePlanArgs = z.object({
  explanation: z.string().optional(),
  plan: z.array(z.object({
    step: z.string(),
    status: z.enum(["pending", "in_progress", "completed"]).describe(
      "One of: pending, in_progress, completed.",
    ),
  })).describe("The steps, in order."),
});

export function updatePlanTool(): ToolDef {
  return defineFunctionTool({
    kind: "function",
    name: "update_plan",
    description: DESCRIPTION,
    parameters: UpdatePlanArgs,
    execute(args, ctx) {
      const active = args.plan.filter((item) => item.status === "in_progress").length;
      if (active > 1) {
        return Promise.resolve(
          `failed to update plan: ${active} steps are in_progress; at most one may be`,
        );
      }
      ctx.onEvent?.({
        type: "plan_updated",
        callId: ctx.callId,
        ...(args.explanation !== undefined ? { explanation: args.explanation } : {}),
        plan: args.plan,
      });
      return Promise.resolve("Plan updated");
    },
  });
}
