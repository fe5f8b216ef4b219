// serve attacked over real HTTP as a hostile web page, an oversized or hostile body, and a
// backend URL that carries credentials would attack it. After every attack the same proxy must
// still answer an ordinary request.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { downstreamTarget } from "./downstream.ts";
import { Dump } from "./dump.ts";
import {
  chat,
  drive,
  rawHttp,
  type RunningProxy,
  ScriptedBackend,
  startProxy,
  userText,
  withProxy,
} from "./testing.ts";
import { finalResponse, rawUpgrade, SocketClient } from "./websocket_testing.ts";

type Json = Record<string, unknown>;

const answer = (text: string) => ({ chunks: [...chat.text(text), chat.finish("stop")] });
const REQUEST = JSON.stringify({ model: "m", input: "hi" });

/** An ordinary request still gets its answer: the attack before it broke nothing. */
async function stillAnswers(proxy: RunningProxy, text: string): Promise<void> {
  const { events, error } = await drive(proxy.url, { input: [userText("still there?")] });
  assert.equal(error, undefined, String(error));
  const last = events.at(-1) as Json;
  assert.equal(last.type, "response.completed");
  const output = (last.response as { output: Array<{ content: Array<{ text: string }> }> }).output;
  assert.equal(output[0].content[0].text, text);
}

function post(proxy: RunningProxy, body: string, headers: Record<string, string>) {
  return fetch(`${proxy.url}/responses`, { method: "POST", body, headers });
}

async function jsonError(response: Response): Promise<Json> {
  assert.match(response.headers.get("content-type") ?? "", /application\/json/);
  return (await response.json()).error as Json;
}

Deno.test("serve/security: a cross-site page cannot use the backend, an allowed one can", async () => {
  await withProxy(
    [answer("from the allowed page"), answer("ok")],
    { access: { allowedOrigins: ["https://app.example.com"] } },
    async (proxy, backend) => {
      // The classic CSRF: a form-like text/plain POST from another site, no preflight needed.
      const evil = await post(proxy, REQUEST, {
        "content-type": "text/plain",
        origin: "https://evil.example",
      });
      assert.equal(evil.status, 403);
      assert.equal((await jsonError(evil)).code, "forbidden_origin");
      assert.equal(evil.headers.get("access-control-allow-origin"), null);

      // Even as JSON (which needs a preflight the browser would not get past).
      const evilJson = await post(proxy, REQUEST, {
        "content-type": "application/json",
        origin: "https://evil.example",
      });
      assert.equal(evilJson.status, 403);
      await evilJson.body?.cancel();
      for (const origin of ["null", "https://127.0.0.1.evil.example", "file://"]) {
        const response = await post(proxy, REQUEST, { "content-type": "application/json", origin });
        assert.equal(response.status, 403, origin);
        await response.body?.cancel();
      }

      // Without an Origin (curl, SDKs) a body that is not JSON is still refused.
      const plain = await post(proxy, REQUEST, { "content-type": "text/plain" });
      assert.equal(plain.status, 415);
      assert.equal((await jsonError(plain)).code, "unsupported_media_type");

      const preflight = (origin: string) =>
        fetch(`${proxy.url}/responses`, {
          method: "OPTIONS",
          headers: {
            origin,
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type, authorization",
          },
        });
      const refused = await preflight("https://evil.example");
      assert.equal(refused.status, 403);
      assert.equal(refused.headers.get("access-control-allow-origin"), null);
      await refused.body?.cancel();
      const allowed = await preflight("https://app.example.com");
      assert.equal(allowed.status, 204);
      assert.equal(allowed.headers.get("access-control-allow-origin"), "https://app.example.com");
      assert.match(allowed.headers.get("access-control-allow-methods") ?? "", /POST/);
      assert.equal(
        allowed.headers.get("access-control-allow-headers"),
        "content-type, authorization",
      );
      const local = await preflight("http://localhost:5173");
      assert.equal(local.status, 204, "loopback pages may call");
      assert.equal(backend.bodies.length, 0, "nothing reached the backend so far");

      const fromApp = await post(proxy, JSON.stringify({ model: "m", input: "x", stream: false }), {
        "content-type": "application/json",
        origin: "https://app.example.com",
      });
      assert.equal(fromApp.status, 200);
      assert.equal(fromApp.headers.get("access-control-allow-origin"), "https://app.example.com");
      assert.equal((await fromApp.json()).status, "completed");

      await stillAnswers(proxy, "ok");
    },
  );
});

Deno.test("serve/security: a page's request without an Origin is refused on every route", async () => {
  await withProxy(
    [answer("stored"), answer("from the allowed page"), answer("ok")],
    { access: { allowedOrigins: ["https://app.example.com"] } },
    async (proxy, backend) => {
      const stored = await post(proxy, JSON.stringify({ model: "m", input: "x", stream: false }), {
        "content-type": "application/json",
      });
      const id = (await stored.json()).id as string;
      const before = backend.requests.length;
      // <img src>, <script src>, a link: browsers send such no-cors requests without an Origin,
      // but with `Sec-Fetch-Site: cross-site`.
      const page = { "sec-fetch-site": "cross-site", "sec-fetch-mode": "no-cors" };
      for (
        const [method, path] of [
          ["GET", "/models"],
          ["GET", `/responses/${id}`],
          ["GET", `/responses/${id}/input_items`],
          ["DELETE", `/responses/${id}`],
          ["POST", "/responses"],
        ]
      ) {
        const response = await fetch(`${proxy.url}${path}`, {
          method,
          headers: { ...page, ...(method === "POST" ? { "content-type": "text/plain" } : {}) },
          ...(method === "POST" ? { body: REQUEST } : {}),
        });
        assert.equal(response.status, 403, `${method} ${path}`);
        const error = await jsonError(response);
        assert.equal(error.code, "forbidden_site");
        assert.match(String(error.message), /another site/);
      }
      assert.equal(backend.requests.length, before, "nothing reached the backend");
      assert.equal((await fetch(`${proxy.url}/responses/${id}`)).status, 200, "still stored");

      // The WebSocket upgrade too, with or without a foreign Origin.
      const upgrade = (extra: string) => rawUpgrade(proxy.url, extra);
      const socketFromPage = await upgrade("Sec-Fetch-Site: cross-site\r\n");
      assert.equal(socketFromPage.status, 403);
      assert.equal(JSON.parse(socketFromPage.body).error.code, "forbidden_site");
      const hijack = await upgrade(
        "Sec-Fetch-Site: cross-site\r\nOrigin: https://evil.example\r\n",
      );
      assert.equal(hijack.status, 403);
      assert.equal(JSON.parse(hijack.body).error.code, "forbidden_origin");

      // Not from another site, or from no page at all (curl, SDKs): let through.
      for (const site of ["same-origin", "same-site", "none", undefined]) {
        const models = await fetch(`${proxy.url}/models`, {
          headers: site ? { "sec-fetch-site": site } : {},
        });
        assert.equal(models.status, 200, String(site));
        await models.body?.cancel();
      }
      // A page let in with --allow-origin sends its Origin, and may call.
      const fromApp = await post(proxy, JSON.stringify({ model: "m", input: "x", stream: false }), {
        "content-type": "application/json",
        origin: "https://app.example.com",
        "sec-fetch-site": "cross-site",
        "sec-fetch-mode": "cors",
      });
      assert.equal(fromApp.status, 200);
      assert.equal((await fromApp.json()).status, "completed");
      const client = await SocketClient.connect(proxy.url, {
        origin: "https://app.example.com",
        "sec-fetch-site": "cross-site",
      });
      try {
        assert.equal(finalResponse(await client.turn({ input: "hi" })).status, "completed");
      } finally {
        await client.close();
      }
    },
  );
});

Deno.test("serve/security: a DNS-rebound Host name is refused", async () => {
  await withProxy([answer("ok")], {}, async (proxy, backend) => {
    const rebound = await rawHttp(
      proxy.url,
      `POST /v1/responses HTTP/1.1\r\nHost: evil.example:${new URL(proxy.url).port}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${REQUEST.length}\r\n` +
        `Connection: close\r\n\r\n`,
      REQUEST,
    );
    assert.equal(rebound.status, 403);
    assert.equal(JSON.parse(rebound.body).error.code, "forbidden_host");
    for (const host of ["localhost", "127.0.0.1", "[::1]"]) {
      const health = await rawHttp(
        proxy.url,
        `GET /health HTTP/1.1\r\nHost: ${host}:1\r\nConnection: close\r\n\r\n`,
      );
      assert.equal(health.status, 200, host);
    }
    assert.equal(backend.bodies.length, 0);
    await stillAnswers(proxy, "ok");
  });
});

Deno.test("serve/security: bodies over --max-body-bytes get 413 before they are read", async () => {
  await withProxy([answer("ok")], { maxBodyBytes: 4096 }, async (proxy, backend) => {
    // Declares a gigabyte and sends none of it: the answer cannot have waited for the body.
    const declared = await rawHttp(
      proxy.url,
      `POST /v1/responses HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
        `Content-Length: 1000000000\r\n\r\n`,
    );
    assert.equal(declared.status, 413);
    const error = JSON.parse(declared.body).error;
    assert.equal(error.code, "request_too_large");
    assert.match(error.message, /limit of 4096 bytes \(--max-body-bytes\)/);

    // Chunked, with no length to go by: cut off once it passes the limit.
    const chunk = "x".repeat(3000);
    const chunked = await rawHttp(
      proxy.url,
      `POST /v1/responses HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
        `Transfer-Encoding: chunked\r\n\r\n`,
      `${chunk.length.toString(16)}\r\n${chunk}\r\n`.repeat(2),
    );
    assert.equal(chunked.status, 413);
    assert.equal(backend.bodies.length, 0);
    await stillAnswers(proxy, "ok");
  });
});

Deno.test("serve/security: deeply nested JSON is a JSON 400, with nothing of the server in it", async () => {
  const dir = await Deno.makeTempDir();
  const dump = new Dump(dir, []);
  await withProxy([answer("ok")], { dump }, async (proxy, backend) => {
    const depth = 100_000;
    const nested = `${"[".repeat(depth)}${"]".repeat(depth)}`;
    const bodies = [
      `{"model":"m","input":"x","metadata":{"deep":${nested}}}`,
      `{"model":"m","input":${nested}}`,
      `{"model":"m","input":"x","tools":[{"type":"function","name":"f","parameters":{"a":${nested}}}]}`,
    ];
    for (const body of bodies) {
      const response = await post(proxy, body, { "content-type": "application/json" });
      assert.equal(response.status, 400);
      const text = await response.text();
      const error = JSON.parse(text).error;
      assert.equal(error.code, "invalid_json");
      assert.match(error.message, /more than 256 levels deep/);
      assert.doesNotMatch(text, /\/src\/|\.ts\b|at \w+ \(/, "no source lines or paths");
    }
    assert.equal(backend.bodies.length, 0);
    await stillAnswers(proxy, "ok");
  });
  await dump.flush();
  const records = (await readFile(join(dir, "exchanges.jsonl"), "utf8")).trim().split("\n");
  assert.equal(records.length, 3, "only the ordinary request was dumped");
});

Deno.test("serve/security: a downstream URL keeps its query, and its credentials stay secret", async () => {
  const dir = await Deno.makeTempDir();
  const secrets = ["s3cr3t-pass", "qs-key-0123456789", "azure-code-999"];
  const lines: string[] = [];
  const backend = await new ScriptedBackend("chat", [
    // The backend echoes the URL it was called with, as some gateways do in errors.
    { status: 500, body: "upstream failed for {{url}}" },
    answer("ok"),
  ]).start();
  const url = new URL(backend.url);
  const downstreamUrl = `http://alice:${secrets[0]}@${url.host}/v1?api-version=2024-10-21` +
    `&key=${secrets[1]}&code=${secrets[2]}`;
  const dump = new Dump(dir, []);
  const proxy = await startProxy(backend, {
    downstreamUrl,
    dump,
    log: (line) => lines.push(line),
  });
  try {
    const failed = await drive(proxy.url, { input: [userText("q")] });
    const message = failed.error?.message ?? "";
    // Named by its shown form; the echoed URL in the body has its secrets scrubbed.
    assert.match(
      message,
      /\/v1\/chat\/completions\?api-version=2024-10-21&key=<redacted>&code=<redacted> answered HTTP 500/,
    );
    assert.match(message, /upstream failed for http:\/\/.*key=<redacted>&code=<redacted>/);
    const sent = backend.requests[0];
    assert.equal(sent.path, "/v1/chat/completions");
    assert.equal(sent.query, `?api-version=2024-10-21&key=${secrets[1]}&code=${secrets[2]}`);
    assert.equal(sent.headers.authorization, `Basic ${btoa(`alice:${secrets[0]}`)}`);

    const models = await fetch(`${proxy.url}/models`);
    assert.equal(models.status, 200);
    await models.body?.cancel();
    assert.equal(backend.requests[1].path, "/v1/models");
    assert.equal(backend.requests[1].query, sent.query);
    await stillAnswers(proxy, "ok");

    await proxy.close();
    await dump.flush();
    const dumped = await readFile(join(dir, "exchanges.jsonl"), "utf8");
    for (const secret of secrets) {
      for (const [where, text] of [["error", message], ["dump", dumped], ["log", lines.join()]]) {
        assert.ok(!text.includes(secret), `${secret} leaked into the ${where}: ${text}`);
      }
    }
  } finally {
    await proxy.close();
    await backend.close();
  }
});

Deno.test("serve/security: only real credentials are scrubbed, names and model names stay", async () => {
  const dir = await Deno.makeTempDir();
  const backend = await new ScriptedBackend("chat", [
    { status: 404, body: "user not found for model gpt4 (pw, qsecret) at {{url}}" },
    answer("ok"),
  ]).start();
  const { host } = new URL(backend.url);
  // A user name beside a password is a name; `deployment` is no key; `pw` and `key` are secrets.
  const downstreamUrl = `http://user:pw@${host}/v1?key=qsecret&deployment=gpt4`;
  const target = downstreamTarget(downstreamUrl, "chat");
  assert.equal(
    target.display,
    `http://${host}/v1/chat/completions?key=<redacted>&deployment=gpt4`,
  );
  assert.deepEqual(new Set(target.secrets), new Set(["pw", btoa("user:pw"), "qsecret"]));
  // Without a password, the user name is the credential.
  assert.ok(downstreamTarget(`http://tok3n@${host}/v1`, "chat").secrets.includes("tok3n"));

  const dump = new Dump(dir, ["sk-client-key", ...target.secrets]);
  const proxy = await startProxy(backend, { downstreamUrl, dump });
  try {
    const failed = await drive(proxy.url, {
      model: "gpt4",
      input: [userText("my pw is qsecret\npw, the pwd is not")],
    });
    const message = failed.error?.message ?? "";
    assert.match(
      message,
      /user not found for model gpt4 \(<redacted>, <redacted>\) at http:\/\/[^ ]*\?key=<redacted>&deployment=gpt4/,
    );
    await stillAnswers(proxy, "ok");
  } finally {
    await proxy.close();
    await backend.close();
  }
  await dump.flush();
  const dumped = await readFile(join(dir, "exchanges.jsonl"), "utf8");
  assert.match(dumped, /"role":"user"/);
  assert.match(dumped, /"model":"gpt4"/);
  assert.match(dumped, /"user-agent":/);
  assert.match(dumped, /my <redacted> is <redacted>\\n<redacted>, the pwd is not/);
  assert.doesNotMatch(dumped, /qsecret|sk-client-key|[^\w]pw[^\w]/);
});

Deno.test("serve/security: a backend that only sends keep-alive comments times out", async () => {
  await withProxy(
    [{ chunks: [], end: "keepalive" }, answer("ok")],
    { idleTimeoutMs: 300 },
    async (proxy, backend) => {
      const { error } = await drive(proxy.url, { input: [userText("q")] });
      assert.equal(error?.name, "ResponseFailedError", String(error));
      assert.match(error!.message, /sent no events for 300 ms/);
      await backend.hungUp;
      await stillAnswers(proxy, "ok");
    },
  );
});
