import assert from "node:assert/strict";
import { ResponseStore } from "./store.ts";

const entry = (text: string) => ({
  input: [],
  output: [{ type: "message", role: "assistant", content: [{ type: "output_text", text }] }],
});

Deno.test("serve/store: keeps the most recently used responses up to its capacity", () => {
  const store = new ResponseStore(2);
  store.put("a", entry("a"));
  store.put("b", entry("b"));
  assert.ok(store.get("a"), "a is used, so b is now the oldest");
  store.put("c", entry("c"));
  assert.equal(store.size, 2);
  assert.equal(store.get("b"), undefined);
  assert.deepEqual(store.get("a"), entry("a"));
  assert.deepEqual(store.get("c"), entry("c"));
});

Deno.test("serve/store: capacity 0 keeps nothing", () => {
  const store = new ResponseStore(0);
  store.put("a", entry("a"));
  assert.equal(store.enabled, false);
  assert.equal(store.get("a"), undefined);
});
