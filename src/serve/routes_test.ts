// The stored-response routes over real HTTP: retrieve, delete, list input items (paged), cancel,
// and what `store: false` keeps out of all of them.
import assert from "node:assert/strict";
import { chat, postJson, withProxy } from "./testing.ts";

type Json = Record<string, unknown>;

const answer = (text: string) => ({ chunks: [...chat.text(text), chat.finish("stop")] });

Deno.test("serve/routes: retrieve, list input items page by page, delete", async () => {
  await withProxy([answer("one"), answer("two")], {}, async (proxy) => {
    const base = proxy.url;
    const input = ["a", "b", "c"].map((text) => ({ role: "user", content: text }));
    const created = await (await postJson(`${base}/responses`, { model: "m", input })).json();
    const id = created.id as string;

    const retrieved = await fetch(`${base}/responses/${id}`);
    assert.equal(retrieved.status, 200);
    assert.deepEqual(await retrieved.json(), created);

    const page = async (query: string) =>
      (await (await fetch(`${base}/responses/${id}/input_items${query}`)).json()) as Json;
    const texts = (list: Json) =>
      (list.data as Json[]).map((item) => ((item.content as Json[])[0] as Json).text);
    const all = await page("");
    assert.deepEqual(texts(all), ["c", "b", "a"], "newest first by default");
    assert.equal(all.has_more, false);
    for (const item of all.data as Json[]) {
      assert.match(String(item.id), /^msg_[0-9a-f]{28}$/);
      assert.equal(item.status, "completed");
    }
    const first = await page("?order=asc&limit=2");
    assert.deepEqual(texts(first), ["a", "b"]);
    assert.equal(first.has_more, true);
    const rest = await page(`?order=asc&limit=2&after=${first.last_id}`);
    assert.deepEqual(texts(rest), ["c"]);
    assert.equal(rest.has_more, false);
    const bad = await fetch(`${base}/responses/${id}/input_items?limit=500`);
    assert.equal(bad.status, 400);
    assert.equal((await bad.json()).error.param, "limit");

    const cancel = await fetch(`${base}/responses/${id}/cancel`, { method: "POST" });
    assert.equal(cancel.status, 400);
    assert.match((await cancel.json()).error.message, /background responses are not supported/);

    const deleted = await fetch(`${base}/responses/${id}`, { method: "DELETE" });
    assert.deepEqual(await deleted.json(), { id, object: "response.deleted", deleted: true });
    for (const [method, path] of [["GET", ""], ["DELETE", ""], ["GET", "/input_items"]]) {
      const gone = await fetch(`${base}/responses/${id}${path}`, { method });
      assert.equal(gone.status, 404, `${method} ${path}`);
      const { error } = await gone.json();
      assert.equal(error.code, "response_not_found");
      assert.match(error.message, new RegExp(`no response "${id}" is stored here`));
    }
    const chained = await postJson(`${base}/responses`, {
      model: "m",
      input: "x",
      previous_response_id: id,
    });
    assert.equal(chained.status, 400, "a deleted response cannot be continued");
    await chained.body?.cancel();

    const unstored = await (await postJson(`${base}/responses`, {
      model: "m",
      input: "x",
      store: false,
    })).json();
    assert.equal(unstored.store, false);
    const missing = await fetch(`${base}/responses/${unstored.id}`);
    assert.equal(missing.status, 404, "store: false responses are not kept");
    await missing.body?.cancel();
  });
});
