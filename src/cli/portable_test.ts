// Portable homes end to end: a real storage server process, `--put` of a home, then `--call … exec`
// in another folder answered by the model the uploaded config names; and every way it can fail.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FakeResponsesServer, parseScenario } from "../fake/mod.ts";
import { tempDir, within } from "../testing/mod.ts";
import { CLI, runCli } from "./cli_testing.ts";

interface StorageProcess {
  child: ChildProcess;
  /** HOST:PORT */
  address: string;
  stop(): Promise<void>;
}

async function startStorage(root: string): Promise<StorageProcess> {
  const child = spawn(
    CLI[0],
    [...CLI.slice(1), "storage-server", "--root", root, "--listen", "127.0.0.1:0"],
    { stdio: ["ignore", "pipe", "pipe"], env: { PATH: "/usr/bin:/bin", HOME: root } },
  );
  const closed = new Promise<void>((resolve) => child.on("close", () => resolve()));
  let stderr = "";
  child.stderr!.on("data", (chunk) => (stderr += chunk));
  const url = await within(
    new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout!.on("data", (chunk) => {
        out += chunk;
        if (out.includes("\n")) resolve(out.split("\n")[0]);
      });
      child.on("close", () => reject(new Error(`storage-server ended: ${stderr}`)));
    }),
    "the storage server's URL",
  );
  return {
    child,
    address: new URL(url).host,
    stop: async () => {
      child.kill("SIGTERM");
      await within(closed, "the storage server to stop");
    },
  };
}

Deno.test("portable home: put → storage server → call → a turn answered with the uploaded config; the stored object has no plaintext", async () => {
  const model = new FakeResponsesServer(parseScenario({
    responses: [{ output: [{ type: "message", text: "answered with the uploaded home" }] }],
    after_last: "repeat_last",
  }));
  await model.start();
  const root = await tempDir("tscodex-storage-");
  const storage = await startStorage(root);
  try {
    const home = await tempDir("tscodex-home-");
    writeFileSync(
      join(home, "config.toml"),
      `model = "uploaded-model-name"\nmodel_provider = "local"\n[model_providers.local]\n` +
        `name = "local"\nbase_url = "${model.baseUrl}"\nenv_key = "UPLOADED_KEY"\n`,
    );
    writeFileSync(join(home, ".env"), "UPLOADED_KEY=sk-uploaded-secret-value\n");
    writeFileSync(join(home, "AGENTS.md"), "Instructions that came with the uploaded home.\n");
    mkdirSync(join(home, "sessions"));
    writeFileSync(join(home, "sessions", "not-uploaded.jsonl"), "{}\n");

    const put = await runCli(["--put", `${home}@${storage.address}`], { cwd: home, env: {} });
    assert.equal(put.code, 0, put.stderr);
    const spec = /^tscodex --call ([0-9a-f]{32}-[0-9a-f]{16}@127\.0\.0\.1:\d+)\n$/.exec(put.stdout)
      ?.[1];
    assert.ok(spec, put.stdout);
    assert.match(put.stderr, /\[put\] .*: \.env, AGENTS\.md, config\.toml\n/);
    assert.match(put.stderr, /\[put\] fetched back and opened: 3 files match/);

    const [object] = readdirSync(join(root, "objects"));
    const stored = new TextDecoder("latin1").decode(readFileSync(join(root, "objects", object)));
    for (const plain of ["uploaded-model-name", "sk-uploaded-secret", "came with", "config.toml"]) {
      assert.ok(!stored.includes(plain), `"${plain}" is not readable on the server`);
    }

    // Somewhere else entirely: no CODEX_HOME, another HOME, a git folder of its own.
    const elsewhere = await tempDir("tscodex-elsewhere-");
    mkdirSync(join(elsewhere, ".git"));
    const env = { HOME: elsewhere, TSCODEX_STORAGE_ROOT: join(elsewhere, "cache") };
    const call = await runCli(["--call", spec, "exec", "hello"], { cwd: elsewhere, env });
    assert.equal(call.code, 0, call.stderr);
    assert.equal(call.stdout, "answered with the uploaded home\n");
    const body = model.requests[0].body as { model: string; input: unknown[] };
    assert.equal(body.model, "uploaded-model-name");
    assert.match(JSON.stringify(body.input), /Instructions that came with the uploaded home\./);
    assert.equal(model.requests[0].headers.authorization, "Bearer <redacted>", "the .env's key");

    // Fetched once: the cache serves the next call, even with the server gone.
    await storage.stop();
    const again = await runCli(["--call", spec, "exec", "again"], { cwd: elsewhere, env });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /\(cached\)/);
  } finally {
    if (storage.child.exitCode === null) await storage.stop();
    await model.close();
  }
});

Deno.test("portable home: wrong secret, unknown id, corrupted bundle, unreachable server, bad specs: one clear error each", async () => {
  const root = await tempDir("tscodex-storage-");
  const storage = await startStorage(root);
  const work = await tempDir("tscodex-portable-fail-");
  mkdirSync(join(work, ".git"));
  let n = 0;
  // A fresh cache each time, so every call goes to the server.
  const call = (spec: string) =>
    runCli(["--call", spec, "exec", "hi"], {
      cwd: work,
      env: { HOME: work, TSCODEX_STORAGE_ROOT: join(work, `cache-${n++}`) },
    });
  try {
    const home = await tempDir("tscodex-home-");
    writeFileSync(join(home, "config.toml"), 'model = "m"\n');
    const put = await runCli(["--put", `${home}@${storage.address}`], { cwd: home, env: {} });
    assert.equal(put.code, 0, put.stderr);
    const spec = put.stdout.trim().split(" ").at(-1)!;
    const [secret, rest] = spec.split("-");
    const [callId] = rest.split("@");
    const otherSecret = secret.replace(/^./, (c) => (c === "0" ? "1" : "0"));

    const cases: Array<[string, RegExp]> = [
      [`${otherSecret}-${rest}`, /^Error: the secret in the --call spec does not open this home/],
      [
        `${secret}-0000000000000000@${storage.address}`,
        /^Error: no home with call id 0000000000000000 on 127\.0\.0\.1:\d+: check the --call spec/,
      ],
      [
        "not-a-spec",
        /^Error: --call: "not-a-spec" is not a call spec; expected SECRET-ID@HOST:PORT/,
      ],
    ];
    for (const [bad, error] of cases) {
      const run = await call(bad);
      assert.equal(run.code, 1, bad);
      assert.match(run.stderr, error, bad);
      assert.doesNotMatch(run.stderr, /\n\s+at /);
    }

    const object = join(root, "objects", `${callId}.bin`);
    const bytes = readFileSync(object);
    bytes[bytes.length - 1] ^= 0xff;
    writeFileSync(object, bytes);
    const corrupted = await call(spec);
    assert.equal(corrupted.code, 1);
    assert.match(
      corrupted.stderr,
      new RegExp(`^Error: the home ${callId} from 127\\.0\\.0\\.1:\\d+ is corrupted`),
    );

    const noHome = await runCli(["--put", `${work}@${storage.address}`], { cwd: work, env: {} });
    assert.equal(noHome.code, 1);
    assert.match(noHome.stderr, /has no config\.toml: --put uploads a Codex home/);

    await storage.stop();
    const unreachable = await call(spec);
    assert.equal(unreachable.code, 1);
    assert.match(
      unreachable.stderr,
      /^Error: cannot reach the storage server 127\.0\.0\.1:\d+ \(.*\); check the address, or start one there with `tscodex storage-server --listen 127\.0\.0\.1:\d+`/,
    );
    const putNowhere = await runCli(["--put", `${home}@${storage.address}`], {
      cwd: home,
      env: {},
    });
    assert.equal(putNowhere.code, 1);
    assert.match(putNowhere.stderr, /cannot reach the storage server/);

    const mixed = await runCli(["--put", `${home}@${storage.address}`, "exec", "x"], {
      cwd: home,
      env: {},
    });
    assert.equal(mixed.code, 2);
    assert.match(mixed.stderr, /--put runs on its own/);
  } finally {
    if (storage.child.exitCode === null) await storage.stop();
  }
});
