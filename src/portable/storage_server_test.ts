// The storage server over real HTTP: what it accepts, what it refuses, and that it keeps bytes.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { serveHttp } from "../platform/mod.ts";
import { tempDir } from "../testing/mod.ts";
import { seal, sha256Hex } from "./bundle.ts";
import { CALL_PATH, HEALTH_PATH, PUT_PATH, SHA256_HEADER } from "./routes.ts";
import { storageHandler } from "./storage_server.ts";

Deno.test("storage server: stores sealed homes by content, serves them back, refuses the rest with JSON errors", async () => {
  const root = await tempDir("tscodex-storage-");
  const server = await serveHttp(
    { hostname: "127.0.0.1", port: 0 },
    storageHandler({ root, maxBytes: 4096 }),
  );
  const put = (body: Uint8Array, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${PUT_PATH}`, {
      method: "POST",
      headers: { "content-type": "application/octet-stream", ...headers },
      body: body as BodyInit,
    });
  try {
    const health = await fetch(`${server.url}${HEALTH_PATH}`);
    assert.deepEqual([health.status, await health.json()], [200, { status: "ok" }]);

    const sealed = await seal({ "config.toml": new TextEncoder().encode('model = "m"\n') });
    const first = await put(sealed.payload, { [SHA256_HEADER]: await sha256Hex(sealed.payload) });
    assert.deepEqual(await first.json(), {
      call_id: sealed.callId,
      status: "stored",
      bytes: sealed.payload.length,
    });
    assert.equal((await (await put(sealed.payload)).json()).status, "reused");
    assert.deepEqual(readdirSync(join(root, "objects")), [`${sealed.callId}.bin`]);
    assert.deepEqual(
      new Uint8Array(readFileSync(join(root, "objects", `${sealed.callId}.bin`))),
      sealed.payload,
    );

    const back = await fetch(`${server.url}${CALL_PATH}${sealed.callId}`);
    assert.equal(back.headers.get(SHA256_HEADER), await sha256Hex(sealed.payload));
    assert.deepEqual(new Uint8Array(await back.arrayBuffer()), sealed.payload);

    const refusals: Array<[Promise<Response>, number, RegExp]> = [
      [fetch(`${server.url}${CALL_PATH}0123456789abcdef`), 404, /no home with call id/],
      [fetch(`${server.url}${CALL_PATH}..%2Fconfig`), 400, /is not a call id/],
      [put(new TextEncoder().encode("plain text")), 400, /not a sealed tscodex home/],
      [put(sealed.payload, { [SHA256_HEADER]: "00" }), 400, /does not match/],
      [put(new Uint8Array(5000)), 413, /at most 4096 bytes/],
      [
        fetch(`${server.url}${PUT_PATH}`, {
          method: "POST",
          headers: { "content-type": "text/plain" },
          body: "x",
        }),
        415,
        /application\/octet-stream/,
      ],
      [fetch(`${server.url}${PUT_PATH}`), 405, /use POST/],
      [fetch(`${server.url}/other`), 404, /nothing at \/other/],
    ];
    for (const [response, status, message] of refusals) {
      const answer = await response;
      assert.equal(answer.status, status);
      assert.match((await answer.json()).error.message, message);
    }
    assert.deepEqual(readdirSync(join(root, "objects")), [`${sealed.callId}.bin`]);
  } finally {
    await server.close();
  }
});
