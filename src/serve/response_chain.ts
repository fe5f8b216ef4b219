// What serve reads out of the response store: the conversation a previous_response_id stands for
// (the chain of stored responses, oldest first), single items for item_reference, and a
// response's input items as GET /v1/responses/{id}/input_items lists them.
import type { ResponseItem } from "../protocol/mod.ts";
import { RequestError } from "./errors.ts";
import { INPUT_ITEM_BASE, itemId, itemPrefix, responseOfItem } from "./item_ids.ts";
import type { ResponseStore, StoredResponse } from "./response_store.ts";

/** Every input and output of the chain that ends in `previous`, oldest first. */
export async function chainHistory(
  store: ResponseStore,
  previous: string,
): Promise<ResponseItem[]> {
  if (!store.enabled) {
    throw new RequestError(
      400,
      "previous_response_id is not supported by this proxy (its response store is off); " +
        "send the whole conversation in `input` instead",
      "unsupported_parameter",
      "previous_response_id",
    );
  }
  const chain: StoredResponse[] = [];
  for (let id: string | undefined = previous; id;) {
    const entry = await store.get(id);
    if (!entry) {
      const which = id === previous
        ? `previous response "${previous}" is not known to this proxy`
        : `previous response "${previous}" continues "${id}", which this proxy no longer has`;
      throw new RequestError(
        400,
        `${which}: ${store.description}`,
        "previous_response_not_found",
        "previous_response_id",
      );
    }
    chain.push(entry);
    id = entry.previousResponseId;
  }
  return chain.reverse().flatMap((entry) => [...entry.input, ...entry.response.output]);
}

/** The stored item with this id (input or output), when it is one of ours and still kept. */
export async function findItem(
  store: ResponseStore,
  id: string,
): Promise<ResponseItem | undefined> {
  const response = responseOfItem(id);
  const entry = response ? await store.get(response) : undefined;
  if (!entry) return undefined;
  return [...entry.input, ...entry.response.output].find((item) => item.id === id);
}

/**
 * The input items as stored and listed: each with an id (made from the response's, so an
 * item_reference to it can be resolved) and, where the API lists one, a status.
 */
export function identifyInput(items: readonly ResponseItem[], responseId: string): ResponseItem[] {
  return items.map((item, i) => {
    const hasStatus = item.type === "message" || item.type === "function_call_output" ||
      item.type === "function_call";
    return {
      ...item,
      ...(item.id ? {} : { id: itemId(itemPrefix(item.type), responseId, INPUT_ITEM_BASE + i) }),
      ...(hasStatus && !item.status ? { status: "completed" } : {}),
    };
  });
}

/** GET …/input_items: the list object, paged with `limit`, `order` and `after`/`before`. */
export function inputItemList(entry: StoredResponse, query: URLSearchParams): unknown {
  const limitText = query.get("limit") ?? "20";
  const limit = Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw new RequestError(
      400,
      `limit: expected 1 to 100, got ${limitText}`,
      "invalid_value",
      "limit",
    );
  }
  const order = query.get("order") ?? "desc";
  if (order !== "asc" && order !== "desc") {
    throw new RequestError(
      400,
      `order: expected asc or desc, got ${order}`,
      "invalid_value",
      "order",
    );
  }
  let items = order === "asc" ? [...entry.input] : [...entry.input].reverse();
  for (const [param, after] of [["after", true], ["before", false]] as const) {
    const cursor = query.get(param);
    if (cursor === null) continue;
    const at = items.findIndex((item) => item.id === cursor);
    if (at < 0) {
      throw new RequestError(
        400,
        `${param}: "${cursor}" is not an input item of ${entry.response.id}`,
        "invalid_value",
        param,
      );
    }
    items = after ? items.slice(at + 1) : items.slice(0, at);
  }
  const data = items.slice(0, limit);
  return {
    object: "list",
    data,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
    has_more: items.length > limit,
  };
}
