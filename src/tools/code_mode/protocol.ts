// The NDJSON messages between the agent and a code cell's process, one JSON object per line. The
// agent validates what the cell sends (a cell runs model-written code and may print anything);
// the cell runtime trusts the agent and stays dependency-free, so it only uses the types.
import { z } from "zod";

/** Agent → cell. */
export type HostMessage =
  | {
    type: "init";
    source: string;
    /** Values saved with store() by earlier cells. */
    stored: Record<string, unknown>;
    tools: Array<{ name: string; description: string }>;
  }
  | { type: "tool_result"; id: number; ok: true; result: unknown }
  | { type: "tool_result"; id: number; ok: false; error: string };

/** Cell → agent. */
export const CellMessage = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("text"), text: z.string() }),
  z.strictObject({ type: z.literal("image"), image_url: z.string() }),
  z.strictObject({ type: z.literal("yield") }),
  z.strictObject({ type: z.literal("store"), key: z.string(), value: z.unknown() }),
  z.strictObject({
    type: z.literal("tool_call"),
    id: z.number().int(),
    name: z.string(),
    args: z.unknown(),
  }),
  /** The script settled; `error` is its uncaught error, rendered. */
  z.strictObject({ type: z.literal("done"), error: z.string().nullable() }),
]);
export type CellMessage = z.infer<typeof CellMessage>;
