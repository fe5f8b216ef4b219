// The storage server's client against hostile servers over real HTTP: bodies over the cap, a body
// broken off half-way, answers that are not what a storage server sends, and text meant to drive
// the user's terminal. Each ends in one PortableError sentence, with nothing held beyond the cap.
import assert from "node:assert/strict";
import { createServer, type Socket } from "node:net";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { serveHttp } from "../platform/mod.ts";
import { tempDir, within } from "../testing/mod.ts";
import { PortableError } from "./errors.ts";
import { CALL_PATH, HEALTH_PATH } from "./routes.ts";
import type { StorageServer } from "./spec.ts";
import { MAX_BUNDLE_BYTES } from "./bundle.ts";
import { fetchBundle, putHome } from "./transfer.ts";

const CALL_ID = "0123456789abcdef";

async function hostile(
  handler: (request: Request) => Response | Promise<Response>,
  body: (server: StorageServer) => Promise<void>,
): Promise<void> {
  const server = await serveHttp({ hostname: "127.0.0.1", port: 0 }, (request) => {
    if (new URL(request.url).pathname === HEALTH_PATH) return Response.json({ status: "ok" });
    return handler(request);
  });
  try {
    await body({ address: new URL(server.url).host, url: server.url });
  } finally {
    await server.close();
  }
}

/** A server that answers every connection with `head` and then cuts it: what HTTP libraries tidy away. */
async function raw(head: string, body: (server: StorageServer) => Promise<void>): Promise<void> {
  const sockets = new Set<Socket>();
  const listener = createServer((socket) => {
    sockets.add(socket);
    socket.once("data", () => {
      socket.write(head);
      socket.destroy();
    });
  });
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
  const port = (listener.address() as { port: number }).port;
  try {
    await within(
      body({ address: `127.0.0.1:${port}`, url: `http://127.0.0.1:${port}` }),
      "the client to give up on the server",
    );
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => listener.close(resolve));
  }
}

/** A PortableError whose message matches, is one line and holds no control character. */
function sentence(pattern: RegExp): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof PortableError, `a PortableError, not ${err}`);
    assert.match(err.message, pattern);
    // deno-lint-ignore no-control-regex
    assert.doesNotMatch(err.message, /[\u0000-\u001f\u007f-\u009f]/, "no control characters");
    return true;
  };
}

Deno.test("fetchBundle: a body over the cap is refused as it arrives, declared or streamed without end", async () => {
  const overCap = sentence(
    /^the storage server 127\.0\.0\.1:\d+ sent more than 67108864 bytes for 0123456789abcdef:/,
  );
  await raw(
    `HTTP/1.1 200 OK\r\ncontent-length: ${MAX_BUNDLE_BYTES + 1}\r\n\r\nTSCX1`,
    (server) => assert.rejects(fetchBundle(server, CALL_ID), overCap),
  );
  let pulled = 0;
  const chunk = new Uint8Array(1 << 20);
  await hostile(() =>
    new Response(
      new ReadableStream({
        pull(controller) {
          pulled++;
          controller.enqueue(chunk);
        },
      }),
    ), async (server) => {
    await assert.rejects(fetchBundle(server, CALL_ID), overCap);
    assert.ok(pulled < 2 * MAX_BUNDLE_BYTES / (1 << 20), `stopped reading (${pulled} MiB)`);
  });
});

Deno.test("fetchBundle: a body broken off half-way is a sentence naming the server", async () => {
  await raw(
    "HTTP/1.1 200 OK\r\ncontent-length: 100000\r\n\r\nTSCX1 half a home",
    (server) =>
      assert.rejects(
        fetchBundle(server, CALL_ID),
        sentence(/^the storage server 127\.0\.0\.1:\d+ broke off sending 0123456789abcdef \(/),
      ),
  );
});

Deno.test("putHome: an answer that is not a storage server's, and terminal escapes in its errors, are sentences", async () => {
  const home = await tempDir("tscodex-home-");
  writeFileSync(join(home, "config.toml"), 'model = "m"\n');
  const answers: Array<[() => Response, RegExp]> = [
    [() => new Response("<html>a proxy page</html>"), /answered the upload with something other/],
    [() => Response.json(null), /answered the upload with something other/],
    [() => Response.json({ call_id: 7 }), /named the home 7, not [0-9a-f]{16}/],
    [
      () => Response.json({ call_id: "\x1b[2J\x1b]0;title\x07\nfake line" }),
      /named the home "\\u001b\[2J.*\\nfake line", not [0-9a-f]{16}/,
    ],
    [
      () => Response.json({ error: { message: "\x1b[31mred\x1b[0m\r\nforged" } }, { status: 500 }),
      /refused to store the home: HTTP 500 \(\[31mred\[0m forged\)/,
    ],
  ];
  for (const [answer, message] of answers) {
    await hostile(async (request) => {
      await request.arrayBuffer();
      return answer();
    }, async (server) => {
      await assert.rejects(putHome(home, server, () => {}), sentence(message));
    });
  }
  await hostile(
    (request) =>
      request.url.includes(CALL_PATH)
        ? new Response("\x1b[2Jgone\x00", { status: 502 })
        : Response.json({}),
    async (server) => {
      await assert.rejects(
        fetchBundle(server, CALL_ID),
        sentence(/refused to send 0123456789abcdef: HTTP 502 \(\[2Jgone\)/),
      );
    },
  );
});
