// The WebSocket mode of /v1/responses, driven by the runtime's own WebSocket client over real
// sockets, in front of a scripted chat backend.
import assert from "node:assert/strict";
import type { ResponseEvent } from "../protocol/mod.ts";
import { assertConsistentStream, chat, userText, withProxy } from "./testing.ts";
import { finalResponse, rawUpgrade, SocketClient } from "./websocket_testing.ts";

type Json = Record<string, unknown>;

const answer = (text: string) => ({ chunks: [...chat.text(text), chat.finish("stop")] });

/** The texts of the chat messages a backend request carried, in order. */
function texts(body: Json): string[] {
  return (body.messages as Json[]).map((m) => `${m.role}:${m.content ?? ""}`);
}

Deno.test("serve/websocket: responses on one socket run one after another, each a whole stream", async () => {
  await withProxy([answer("first"), answer("second")], {}, async (proxy, backend) => {
    const client = await SocketClient.connect(proxy.url);
    try {
      // Both sent at once: the second waits for the first to end.
      client.send({ type: "response.create", model: "m", input: "one" });
      client.send({ type: "response.create", model: "m", input: "two" });
      const first = await client.untilTerminal();
      const second = await client.untilTerminal();
      for (const events of [first, second]) {
        assertConsistentStream(events as ResponseEvent[]);
        assert.equal(events[0].type, "response.created");
        assert.equal(finalResponse(events).status, "completed");
      }
      const output = (events: Json[]) => JSON.stringify(finalResponse(events).output);
      assert.match(output(first), /first/);
      assert.match(output(second), /second/);
      assert.notEqual(finalResponse(first).id, finalResponse(second).id);
      assert.deepEqual(texts(backend.bodies[0]), ["user:one"]);
      assert.deepEqual(texts(backend.bodies[1]), ["user:two"]);
    } finally {
      await client.close();
    }
  });
});

Deno.test("serve/websocket: store:false responses continue on their own socket only", async () => {
  await withProxy(
    [answer("noted"), answer("cobalt"), answer("fresh")],
    {},
    async (proxy, backend) => {
      const client = await SocketClient.connect(proxy.url);
      const other = await SocketClient.connect(proxy.url);
      try {
        const first = await client.turn({ input: "the word is cobalt", store: false });
        const id = String(finalResponse(first).id);
        const second = await client.turn({
          input: [userText("which word?")],
          previous_response_id: id,
          store: false,
        });
        assert.equal(finalResponse(second).status, "completed");
        assert.deepEqual(texts(backend.bodies[1]), [
          "user:the word is cobalt",
          "assistant:noted",
          "user:which word?",
        ]);

        // Another connection never saw it, and store:false kept it out of the shared store.
        const [missing] = await other.turn({
          input: "go on",
          previous_response_id: id,
          store: false,
        });
        assert.equal(missing.type, "error");
        assert.equal(missing.status, 400);
        const error = missing.error as Json;
        assert.equal(error.code, "previous_response_not_found");
        assert.equal(error.param, "previous_response_id");
        assert.match(String(error.message), new RegExp(id));
        // The socket stays usable: a new chain starts with the full input.
        const fresh = await other.turn({ input: "start over", store: false });
        assert.equal(finalResponse(fresh).status, "completed");
        assert.equal(backend.bodies.length, 3);
      } finally {
        await client.close();
        await other.close();
      }
    },
  );
});

Deno.test("serve/websocket: a failed continuation evicts the response it continued", async () => {
  const replies = [
    answer("seed"),
    { status: 500, body: "backend exploded" },
    answer("unused"),
  ];
  for (const store of [false, true]) {
    await withProxy(replies, {}, async (proxy, backend) => {
      const client = await SocketClient.connect(proxy.url);
      try {
        const seed = await client.turn({ input: "seed", store });
        const id = String(finalResponse(seed).id);
        const failed = await client.turn({ input: "go on", previous_response_id: id, store });
        assert.equal(finalResponse(failed).status, "failed", `store: ${store}`);
        const [again] = await client.turn({ input: "once more", previous_response_id: id, store });
        assert.equal((again.error as Json)?.code, "previous_response_not_found", `store: ${store}`);
        // Evicted for every transport, not only this socket.
        const http = await fetch(`${proxy.url}/responses`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model: "m", input: "x", previous_response_id: id }),
        });
        assert.equal(http.status, 400);
        assert.equal((await http.json()).error.code, "previous_response_not_found");
        assert.equal(backend.bodies.length, 2, "nothing after the failure reached the backend");
      } finally {
        await client.close();
      }
    });
  }
});

Deno.test("serve/websocket: bad messages are error events and the socket stays open", async () => {
  await withProxy([answer("still here")], {}, async (proxy, backend) => {
    const client = await SocketClient.connect(proxy.url);
    try {
      const cases: Array<[Json | string | Uint8Array, number, string, RegExp]> = [
        ["{not json", 400, "invalid_json", /not valid JSON/],
        [{ type: "response.cancel" }, 400, "unknown_event_type", /response\.create/],
        [
          { type: "response.create", model: "m", input: "x", background: true },
          400,
          "unsupported_parameter",
          /background/,
        ],
        [{ type: "response.create", input: "x" }, 400, "invalid_value", /model/],
        [new Uint8Array([1, 2, 3]), 400, "invalid_message", /JSON text/],
      ];
      for (const [message, status, code, pattern] of cases) {
        if (message instanceof Uint8Array) client.socket.send(message);
        else client.send(message);
        const event = await client.next();
        assert.equal(event.type, "error", JSON.stringify(message));
        assert.equal(event.status, status);
        const error = event.error as Json;
        assert.equal(error.code, code);
        assert.equal(error.type, "invalid_request_error");
        assert.match(String(error.message), pattern);
      }
      assert.equal(backend.bodies.length, 0, "nothing bad reached the backend");
      // `stream` means nothing on a socket and is ignored (upstream Codex sends it).
      const good = await client.turn({ input: "hello", stream: true });
      assert.equal(finalResponse(good).status, "completed");
    } finally {
      await client.close();
    }
  });
});

Deno.test("serve/websocket: generate:false keeps the input for the next turn without generating", async () => {
  await withProxy([answer("done")], {}, async (proxy, backend) => {
    const client = await SocketClient.connect(proxy.url);
    try {
      const warm = await client.turn({
        instructions: "be brief",
        input: [userText("context first")],
        generate: false,
        store: false,
      });
      assert.deepEqual(warm.map((e) => e.type), [
        "response.created",
        "response.in_progress",
        "response.completed",
      ]);
      assert.deepEqual(finalResponse(warm).output, []);
      assert.equal(backend.bodies.length, 0);
      const next = await client.turn({
        instructions: "be brief",
        input: [userText("now answer")],
        previous_response_id: finalResponse(warm).id,
        store: false,
      });
      assert.equal(finalResponse(next).status, "completed");
      assert.deepEqual(texts(backend.bodies[0]).slice(-2), [
        "user:context first",
        "user:now answer",
      ]);
    } finally {
      await client.close();
    }
  });
});

Deno.test("serve/websocket: a connection past its age limit is told so and closed", async () => {
  await withProxy([], { socketMaxAgeMs: 1 }, async (proxy) => {
    const client = await SocketClient.connect(proxy.url);
    const event = await client.next();
    assert.equal(event.type, "error");
    assert.equal((event.error as Json).code, "websocket_connection_limit_reached");
    const closed = await client.closed.promise;
    assert.equal(closed.code, 1000);
  });
});

Deno.test("serve/websocket: a client that leaves mid-response stops the backend stream", async () => {
  const stalled = { chunks: [...chat.text("partial")], end: "stall" as const };
  await withProxy([stalled], {}, async (proxy, backend) => {
    const client = await SocketClient.connect(proxy.url);
    client.send({ type: "response.create", model: "m", input: "go" });
    let event;
    do event = await client.next(); while (event.type !== "response.output_text.delta");
    await client.close();
    await backend.hungUp;
  });
});

Deno.test("serve/websocket: the upgrade needs the client key, a plain GET is 426, pages are refused", async () => {
  await withProxy([answer("ok")], { apiKey: "sk-client-key" }, async (proxy) => {
    const upgrade = (extra: string) => rawUpgrade(proxy.url, extra);
    const anonymous = await upgrade("");
    assert.equal(anonymous.status, 401);
    assert.equal(JSON.parse(anonymous.body).error.code, "invalid_api_key");
    const page = await upgrade(
      "Authorization: Bearer sk-client-key\r\nOrigin: https://evil.example\r\n",
    );
    assert.equal(page.status, 403);
    const plain = await fetch(`${proxy.url}/responses`, {
      headers: { authorization: "Bearer sk-client-key" },
    });
    assert.equal(plain.status, 426);
    assert.match((await plain.json()).error.message, /Upgrade: websocket/);

    const client = await SocketClient.connect(proxy.url, { authorization: "Bearer sk-client-key" });
    try {
      const events = await client.turn({ input: "hi" });
      assert.equal(finalResponse(events).status, "completed");
    } finally {
      await client.close();
    }
  });
});
