import assert from "node:assert/strict";
import { MemoryResponseStore, type StoredResponse } from "./response_store.ts";

const entry = (text: string): StoredResponse => ({
  response: {
    id: `resp_${text}`,
    output: [{ type: "message", role: "assistant", content: [{ type: "output_text", text }] }],
  },
  input: [],
});
const BIG = 1 << 30;

Deno.test("serve/store: keeps the most recently used responses up to its entry limit", async () => {
  const store = new MemoryResponseStore({ entries: 2, bytes: BIG });
  await store.put("a", entry("a"));
  await store.put("b", entry("b"));
  assert.ok(await store.get("a"), "a is used, so b is now the oldest");
  await store.put("c", entry("c"));
  assert.equal(store.size.entries, 2);
  assert.equal(await store.get("b"), undefined);
  assert.deepEqual(await store.get("a"), entry("a"));
  assert.deepEqual(await store.get("c"), entry("c"));
});

Deno.test("serve/store: evicts the least recently used until the bytes fit", async () => {
  const one = JSON.stringify(entry("x".repeat(100))).length;
  const store = new MemoryResponseStore({ entries: 100, bytes: one * 2 + 10 });
  await store.put("a", entry("a".repeat(100)));
  await store.put("b", entry("b".repeat(100)));
  await store.get("a");
  await store.put("c", entry("c".repeat(100)));
  assert.deepEqual(store.size, { entries: 2, bytes: one * 2 });
  assert.equal(await store.get("b"), undefined, "b was the least recently used");
  assert.ok(await store.get("a"));

  await store.put("huge", entry("h".repeat(one * 3)));
  assert.equal(await store.get("huge"), undefined, "an entry over the whole budget is not kept");
  assert.equal(store.size.entries, 2, "and does not push the others out");
});

Deno.test("serve/store: delete says whether it held the entry; evict forgets quietly", async () => {
  const store = new MemoryResponseStore({ entries: 4, bytes: BIG });
  await store.put("a", entry("a"));
  await store.put("b", entry("b"));
  assert.equal(await store.delete("a"), true);
  assert.equal(await store.delete("a"), false);
  await store.evict("b");
  assert.equal(await store.get("b"), undefined);
  assert.deepEqual(store.size, { entries: 0, bytes: 0 });
});

Deno.test("serve/store: a zero limit keeps nothing", async () => {
  for (const limits of [{ entries: 0, bytes: BIG }, { entries: 4, bytes: 0 }]) {
    const store = new MemoryResponseStore(limits);
    await store.put("a", entry("a"));
    assert.equal(store.enabled, false);
    assert.equal(await store.get("a"), undefined);
  }
});
