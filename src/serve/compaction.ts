// POST /v1/responses/compact: the backend is asked once to summarise the conversation, and the
// answer comes back as the user's messages followed by one `compaction` item that carries the
// summary. Sent back as input later, that item becomes a user turn holding the summary.
import type { ResponseItem } from "../protocol/mod.ts";
import { type Conversation, encodeCompaction } from "./conversation.ts";
import { DownstreamError } from "./errors.ts";
import { itemId } from "./item_ids.ts";
import { type DownstreamClient, type Payload, respond, ResponseTranslator } from "./response.ts";
import { ToolMap } from "./tool_map.ts";

const COMPACTION_PROMPT =
  "Write a summary of the conversation above that lets the work continue without it: what the " +
  "user wants and the constraints they set, what has been done and decided, the state things " +
  "are in now (files, commands and results that matter), open problems, and the next steps. " +
  "Be concrete and short, and write it as notes, not as a reply to the user.";

/** The compacted response object, or the backend's failure. */
export async function compact(
  request: Record<string, unknown>,
  history: readonly ResponseItem[],
  conversation: Conversation,
  downstream: DownstreamClient,
  signal: AbortSignal,
): Promise<Record<string, unknown>> {
  const asked: Conversation = {
    ...conversation,
    turns: [...conversation.turns, {
      role: "user",
      parts: [{ type: "text", text: COMPACTION_PROMPT }],
    }],
    tools: new ToolMap(),
    toolChoice: "none",
  };
  const translator = new ResponseTranslator({ ...request, tools: [] }, asked.tools);
  let terminal: Payload | undefined;
  for await (const batch of respond(asked, downstream, translator, signal)) {
    terminal = batch[batch.length - 1];
  }
  const response = terminal?.response as
    | { status: string; output: ResponseItem[]; error?: { code: string; message: string } }
    | undefined;
  if (response?.status !== "completed") {
    throw new DownstreamError(
      `the backend could not summarise the conversation: ${
        response?.error?.message ?? `it answered with status ${response?.status}`
      }`,
      (response?.error?.code as DownstreamError["code"]) ?? "server_error",
    );
  }
  const summary = response.output.flatMap((item) =>
    item.type === "message"
      ? (item.content as Array<{ type: string; text?: string }>).map((part) => part.text ?? "")
      : []
  ).join("");
  const kept = history.filter((item) => item.type === "message" && item.role === "user");
  return {
    id: translator.id,
    object: "response.compaction",
    created_at: translator.createdAt,
    output: [
      ...kept,
      {
        type: "compaction",
        id: itemId("cmp", translator.id, 0),
        encrypted_content: encodeCompaction(summary),
      },
    ],
    usage: translator.usage ?? {
      input_tokens: 0,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 0,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 0,
    },
  };
}
