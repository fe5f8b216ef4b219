// `tscodex serve` as a subprocess: usage errors, and a full `tscodex exec` turn through the proxy
// in front of scripted chat and messages backends, with a real exec_command run in between.
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { anthropic, chat, ScriptedBackend } from "../serve/testing.ts";
import { isLoopbackHost } from "../platform/mod.ts";
import { DEADLINE_MS } from "../testing/mod.ts";
import { parseListen } from "./listen.ts";

const MAIN = fileURLToPath(new URL("../../main.ts", import.meta.url));

/**
 * `tscodex ARGS` as a child process. None outlives the deadline: killing it ends every wait on its
 * output or status, and the check that follows fails with what it printed.
 */
function tscodex(args: string[], env: Record<string, string>, cwd?: string): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    env,
    cwd,
    signal: AbortSignal.timeout(DEADLINE_MS),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** The first stdout line (the proxy's base URL); the rest of stdout keeps draining. */
async function firstLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const next = await reader.read();
    if (next.done) break;
    text += next.value;
  }
  reader.releaseLock();
  return text.split("\n")[0];
}

Deno.test("cli/serve: --listen accepts host:port, [v6]:port and a bare port", () => {
  assert.deepEqual(parseListen("127.0.0.1:8001"), { hostname: "127.0.0.1", port: 8001 });
  assert.deepEqual(parseListen("[::1]:0"), { hostname: "::1", port: 0 });
  assert.deepEqual(parseListen("9000"), { hostname: "127.0.0.1", port: 9000 });
  assert.throws(() => parseListen("localhost"), /expected HOST:PORT/);
});

Deno.test("cli/serve: only real loopback addresses count as loopback", () => {
  const cases: Array<[string, boolean]> = [
    ["127.0.0.1", true],
    ["127.255.3.4", true],
    ["localhost", true],
    ["LOCALHOST", true],
    ["::1", true],
    ["[::1]", true],
    ["0:0:0:0:0:0:0:1", true],
    ["::0001", true],
    ["127.0.0.1.nip.io", false],
    ["127.evil.example", false],
    ["127.0.0.256", false],
    ["127.1", false],
    ["0.0.0.0", false],
    ["::", false],
    ["::2", false],
    ["1::1", false],
    ["10.0.0.1", false],
    ["evil.localhost", false],
    ["", false],
  ];
  for (const [host, expected] of cases) assert.equal(isLoopbackHost(host), expected, host);
});

Deno.test("cli/serve: bad options exit 2 with a message naming the problem", async () => {
  const cases: Array<[string[], RegExp]> = [
    [["serve"], /required option '--downstream <url>'/],
    [["--serve", "--downstream", "nope"], /--downstream nope: not a URL/],
    [["serve", "--downstream", "http://127.0.0.1:1/v1", "--provider", "x"], /unknown provider "x"/],
    [
      ["serve", "--downstream", "http://127.0.0.1:1/v1", "--listen", "0.0.0.0:0"],
      /--listen 0\.0\.0\.0:0: 0\.0\.0\.0 is not a loopback address.*--allow-remote/,
    ],
    [
      ["serve", "--downstream", "http://127.0.0.1:1/v1", "--listen", "127.0.0.1.nip.io:0"],
      /127\.0\.0\.1\.nip\.io is not a loopback address/,
    ],
    [
      ["serve", "--downstream", "http://127.0.0.1:1/v1", "--listen", "0.0.0.0:0", "--allow-remote"],
      /refusing to listen on 0\.0\.0\.0 without --api-key-env/,
    ],
    [
      [
        "serve",
        "--downstream",
        "http://127.0.0.1:1/v1",
        "--listen",
        "no-such-host.invalid:0",
        "--allow-remote",
      ],
      /--listen no-such-host\.invalid:0: the host name no-such-host\.invalid does not resolve/,
    ],
    [
      ["serve", "--downstream", "http://127.0.0.1:1/v1", "--allow-origin", "https://a.example/"],
      /--allow-origin https:\/\/a\.example\/: expected an origin/,
    ],
    [["fake-server", "--host", "0.0.0.0"], /--host 0\.0\.0\.0: 0\.0\.0\.0 is not a loopback/],
    [["fake-server", "--host", "127.1.2.3.evil.example"], /is not a loopback address/],
    [
      ["serve", "--downstream", "http://127.0.0.1:1/v1", "--api-key-env", "TSCODEX_TEST_UNSET"],
      /environment variable TSCODEX_TEST_UNSET is not set/,
    ],
  ];
  await Promise.all(cases.map(async ([args, pattern]) => {
    const child = tscodex(args, { PATH: Deno.env.get("PATH") ?? "" });
    const { code, stderr } = await child.output();
    const text = new TextDecoder().decode(stderr);
    assert.equal(code, 2, `${args.join(" ")}: ${text}`);
    assert.match(text, pattern);
    assert.doesNotMatch(text, /\n\s+at /, "no stack trace");
  }));
});

Deno.test("cli/serve: a taken port is an error naming the option that picks another", async () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (taken.addr as Deno.NetAddr).port;
  try {
    const cases: Array<[string[], RegExp]> = [
      [
        ["serve", "--downstream", "http://127.0.0.1:1/v1", "--listen", `127.0.0.1:${port}`],
        /cannot listen on 127\.0\.0\.1:\d+: the port is already in use; pick another with --listen/,
      ],
      [
        ["fake-server", "--port", String(port)],
        /the port is already in use; pick another with --port/,
      ],
    ];
    for (const [args, pattern] of cases) {
      const { code, stderr } = await tscodex(args, { PATH: Deno.env.get("PATH") ?? "" }).output();
      const text = new TextDecoder().decode(stderr);
      assert.equal(code, 1, `${args.join(" ")}: ${text}`);
      assert.match(text, pattern);
      assert.doesNotMatch(text, /\n\s+at /, "no stack trace");
    }
  } finally {
    taken.close();
  }
});

for (const api of ["chat", "messages"] as const) {
  Deno.test(`cli/serve: tscodex exec completes a tool-calling turn through the proxy (${api})`, async () => {
    const command = "echo proxied-$((6*7))";
    const args = JSON.stringify({ cmd: command });
    const backend = await new ScriptedBackend(
      api,
      api === "chat"
        ? [
          {
            chunks: [
              ...chat.toolCall(0, "call_e2e", "exec_command", args),
              chat.finish("tool_calls"),
            ],
          },
          { chunks: [...chat.text("The command printed 42."), chat.finish("stop")] },
        ]
        : [
          {
            chunks: [
              anthropic.start(10),
              ...anthropic.toolUse(0, "toolu_e2e", "exec_command", args),
              ...anthropic.stop("tool_use", 5),
            ],
          },
          {
            chunks: [
              anthropic.start(20),
              ...anthropic.text(0, "The command printed 42."),
              ...anthropic.stop("end_turn", 5),
            ],
          },
        ],
    ).start();
    const home = await Deno.makeTempDir();
    const work = await Deno.makeTempDir();
    const env = {
      PATH: Deno.env.get("PATH") ?? "",
      HOME: work,
      CLIENT_KEY: "ck-e2e-client",
      BACKEND_KEY: "bk-e2e-backend",
    };
    const serve = tscodex([
      "--serve",
      "--listen",
      "127.0.0.1:0",
      "--downstream",
      backend.url,
      "--downstream-api",
      api,
      "--api-key-env",
      "CLIENT_KEY",
      "--downstream-key-env",
      "BACKEND_KEY",
    ], env);
    try {
      const url = await firstLine(serve.stdout);
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
      await writeFile(
        join(home, "config.toml"),
        [
          'model = "backend-model"',
          'model_provider = "proxy"',
          "[model_providers.proxy]",
          'name = "tscodex serve"',
          `base_url = "${url}"`,
          'env_key = "CLIENT_KEY"',
          'wire_api = "responses"',
          "",
        ].join("\n"),
      );
      const exec = tscodex(
        ["exec", "--skip-git-repo-check", "run the echo"],
        { ...env, CODEX_HOME: home },
        work,
      );
      const result = await exec.output();
      const stderr = new TextDecoder().decode(result.stderr);
      assert.equal(result.code, 0, stderr);
      assert.match(new TextDecoder().decode(result.stdout), /The command printed 42\./);

      assert.equal(backend.bodies.length, 2);
      const replay = JSON.stringify(backend.bodies[1]);
      assert.ok(replay.includes("proxied-42"), `the tool output reached the backend: ${replay}`);
      const key = api === "chat" ? "authorization" : "x-api-key";
      assert.match(backend.requests[0].headers[key], /bk-e2e-backend/);
    } finally {
      serve.kill("SIGTERM");
      const status = await serve.status;
      await serve.stderr.cancel();
      assert.equal(status.code, 0);
      await backend.close();
      await Deno.remove(home, { recursive: true });
      await Deno.remove(work, { recursive: true });
    }
  });
}
