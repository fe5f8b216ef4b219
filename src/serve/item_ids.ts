// Ids serve hands out. An item id carries the id of the response it belongs to, so an
// `item_reference` (which the Vercel AI SDK sends for earlier assistant items when `store` is on)
// is found with one store lookup, whatever store is behind it and on whichever replica.
import { randomHex } from "../protocol/mod.ts";

const ITEM_ID = /^[a-z]+_([0-9a-f]{24})[0-9a-f]{4}$/;
/** Input items are numbered from here, output items from 0. */
export const INPUT_ITEM_BASE = 0x8000;

export function newResponseId(): string {
  return `resp_${randomHex(12)}`;
}

/** The id of item `n` of `responseId` (a `resp_…` id of ours), e.g. `msg_<24 hex><4 hex>`. */
export function itemId(prefix: string, responseId: string, n: number): string {
  return `${prefix}_${responseId.slice("resp_".length)}${n.toString(16).padStart(4, "0")}`;
}

/** The response an item id of ours belongs to, or undefined for ids another server made. */
export function responseOfItem(id: string): string | undefined {
  const hex = ITEM_ID.exec(id)?.[1];
  return hex ? `resp_${hex}` : undefined;
}

const PREFIXES: Readonly<Record<string, string>> = {
  message: "msg",
  reasoning: "rs",
  function_call: "fc",
  function_call_output: "fco",
  custom_tool_call: "ctc",
  custom_tool_call_output: "ctco",
  web_search_call: "ws",
  compaction: "cmp",
};

export function itemPrefix(type: string): string {
  return PREFIXES[type] ?? "item";
}
