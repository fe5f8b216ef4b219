// The proxy's own HTTP surface: routes, client keys, bad input, previous_response_id, dumps.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ResponsesHttpError } from "../model/mod.ts";
import { within } from "../testing/mod.ts";
import { Dump } from "./dump.ts";
import { MemoryResponseStore } from "./response_store.ts";
import { chat, drive, type RunningProxy, userText, withProxy } from "./testing.ts";

type Json = Record<string, unknown>;

const answer = (text: string) => ({ chunks: [...chat.text(text), chat.finish("stop")] });

function post(proxy: RunningProxy, body: string, headers: Record<string, string> = {}) {
  return fetch(`${proxy.url}/responses`, {
    method: "POST",
    body,
    headers: { "content-type": "application/json", ...headers },
  });
}

Deno.test("serve/proxy: bad input is refused with a 400 that says what is wrong", async () => {
  await withProxy([], {}, async (proxy, backend) => {
    const cases: Array<[string, RegExp, string]> = [
      ["", /request body is empty/, "invalid_request"],
      ["{not json", /request body is not valid JSON/, "invalid_json"],
      ["[1,2]", /must be a JSON object/, "invalid_request"],
      [JSON.stringify({ input: "hi" }), /invalid Responses request: model: /, "invalid_value"],
      [
        JSON.stringify({ model: "m", input: [{ type: "message", role: "user", content: 5 }] }),
        /input\[0\]\.content: expected a string or a list of content parts, got a number/,
        "invalid_value",
      ],
      [
        JSON.stringify({
          model: "m",
          input: [{
            type: "message",
            role: "user",
            content: [{ type: "input_file", file_id: "f1" }],
          }],
        }),
        /input\[0\]\.content\[0\]: files by file_id are not supported: this proxy has no file store/,
        "unsupported_value",
      ],
      [
        JSON.stringify({
          model: "m",
          input: "x",
          tools: [
            { type: "function", name: "a__b", parameters: {} },
            {
              type: "namespace",
              name: "a",
              tools: [{ type: "function", name: "b", parameters: {} }],
            },
          ],
        }),
        /two tools would both be called "a__b"/,
        "invalid_value",
      ],
    ];
    for (const [body, pattern, code] of cases) {
      const response = await post(proxy, body);
      assert.equal(response.status, 400, body);
      const error = (await response.json()).error;
      assert.match(error.message, pattern);
      assert.equal(error.code, code);
      assert.equal(error.type, "invalid_request_error");
    }
    assert.equal(backend.requests.length, 0, "nothing bad reaches the backend");

    const wrongMethod = await fetch(`${proxy.url}/responses`, { method: "PUT" });
    assert.equal(wrongMethod.status, 405);
    await wrongMethod.body?.cancel();
    const unknown = await fetch(`${proxy.url}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    assert.equal(unknown.status, 404);
    assert.match((await unknown.json()).error.message, /speaks the Responses API/);
  });
});

Deno.test("serve/proxy: with a client key, every route but /health needs it", async () => {
  await withProxy([answer("hi")], { apiKey: "ck-0123456789" }, async (proxy, backend) => {
    const health = await fetch(`${proxy.url.replace(/\/v1$/, "")}/health`);
    assert.deepEqual(await health.json(), { ok: true });

    for (const key of [undefined, "ck-wrong"]) {
      const { error } = await drive(proxy.url, { input: [userText("q")] }, key);
      assert.ok(error instanceof ResponsesHttpError, String(error));
      assert.equal(error.status, 401);
      assert.match(error.body, /missing or wrong API key/);
    }
    const models = await fetch(`${proxy.url}/models`);
    assert.equal(models.status, 401);
    await models.body?.cancel();
    const viaHeader = await fetch(`${proxy.url}/models`, {
      headers: { "x-api-key": "ck-0123456789" },
    });
    assert.equal(viaHeader.status, 200);
    await viaHeader.body?.cancel();

    const { error, events } = await drive(proxy.url, { input: [userText("q")] }, "ck-0123456789");
    assert.equal(error, undefined);
    assert.equal(events.at(-1)!.type, "response.completed");
    assert.equal(backend.bodies.length, 1);
  });
});

Deno.test("serve/proxy: /v1/models is proxied with the downstream key", async () => {
  await withProxy([], { downstreamKey: "dk-secret-value" }, async (proxy, backend) => {
    const response = await fetch(`${proxy.url}/models`);
    assert.equal(response.status, 200);
    assert.deepEqual((await response.json()).data, [{ id: "backend-model", object: "model" }]);
    assert.equal(backend.requests[0].headers.authorization, "Bearer dk-secret-value");
  });
});

Deno.test("serve/proxy: previous_response_id expands from the store; unknown or disabled is a clear 400", async () => {
  await withProxy([answer("First."), answer("Second.")], {}, async (proxy, backend) => {
    const first = await drive(proxy.url, { instructions: "sys", input: [userText("one")] });
    const id = (first.events.at(-1) as Json).response as Json;
    const second = await drive(proxy.url, {
      previous_response_id: id.id,
      input: [userText("two")],
    });
    assert.equal(second.error, undefined);
    assert.deepEqual(backend.bodies[1].messages, [
      { role: "user", content: "one" },
      { role: "assistant", content: "First." },
      { role: "user", content: "two" },
    ]);

    const missing = await post(
      proxy,
      JSON.stringify({ model: "m", input: "x", previous_response_id: "resp_nope" }),
    );
    assert.equal(missing.status, 400);
    const error = (await missing.json()).error;
    assert.equal(error.code, "previous_response_not_found");
    assert.equal(error.param, "previous_response_id");
    assert.match(error.message, /"resp_nope" is not known to this proxy/);
  });

  await withProxy([answer("unstored")], {}, async (proxy) => {
    const first = await drive(proxy.url, { input: [userText("one")], store: false });
    const id = ((first.events.at(-1) as Json).response as Json).id;
    const chained = await post(
      proxy,
      JSON.stringify({ model: "m", input: "x", previous_response_id: id }),
    );
    assert.equal(chained.status, 400, "store: false responses are not kept");
    await chained.body?.cancel();
  });

  const off = new MemoryResponseStore({ entries: 0, bytes: 0 });
  await withProxy([], { store: off }, async (proxy) => {
    const response = await post(
      proxy,
      JSON.stringify({ model: "m", input: "x", previous_response_id: "resp_1" }),
    );
    assert.equal(response.status, 400);
    assert.match((await response.json()).error.message, /not supported by this proxy/);
  });
});

Deno.test("serve/proxy: --dump writes every exchange as JSON lines with no key in them", async () => {
  const dir = await Deno.makeTempDir();
  const clientKey = "ck-client-secret-1";
  const downstreamKey = "dk-downstream-secret-2";
  const dump = new Dump(dir, [clientKey, downstreamKey]);
  await withProxy(
    [{ status: 503, body: `overloaded; you sent ${downstreamKey}` }],
    { dump, apiKey: clientKey, downstreamKey },
    async (proxy) => {
      const { error } = await drive(proxy.url, { input: [userText("q")] }, clientKey);
      assert.equal(error?.name, "ResponseFailedError");
      assert.match(error!.message, /overloaded; you sent <redacted>/);
    },
  );
  await dump.flush();
  const text = await readFile(join(dir, "exchanges.jsonl"), "utf8");
  assert.ok(!text.includes(clientKey) && !text.includes(downstreamKey), text);
  const records = text.trim().split("\n").map((line) => JSON.parse(line));
  assert.deepEqual(records.map((r) => r.kind), ["request", "downstream", "response"]);
  const [request, exchange, response] = records;
  assert.equal(request.headers.authorization, "<redacted>");
  assert.equal(exchange.headers.authorization, "<redacted>");
  assert.equal(exchange.status, 503);
  assert.match(exchange.response_body, /overloaded; you sent <redacted>/);
  assert.equal(exchange.body.messages[0].content, "q");
  assert.equal(response.status, "failed");
  assert.equal(request.response_id, response.response_id);
});

Deno.test("serve/proxy: a client that leaves mid-stream cancels the downstream request", async () => {
  await withProxy(
    [{ chunks: chat.text("still ", "going"), end: "stall" }],
    {},
    async (proxy, backend) => {
      const response = await post(
        proxy,
        JSON.stringify({ model: "m", input: "q", stream: true }),
      );
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      let seen = "";
      while (!seen.includes("response.output_text.delta")) {
        const next = await within(reader.read(), "the proxy to forward the first text");
        if (next.done) throw new Error(`the stream ended before any text: ${seen}`);
        seen += next.value;
      }
      await reader.cancel();
      await backend.hungUp;
    },
  );
});
