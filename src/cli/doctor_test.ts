import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { FakeResponsesServer, parseScenario } from "../fake/mod.ts";
import { sandboxMissing } from "../tools/testing.ts";
import { proxyFor, redactProxy, runChecks } from "./doctor.ts";

async function withHome<T>(
  config: string,
  env: Record<string, string>,
  fn: () => Promise<T>,
): Promise<T> {
  const home = await mkdtemp(join(tmpdir(), "doctor-"));
  await writeFile(join(home, "config.toml"), config);
  const saved = { ...process.env };
  Object.assign(process.env, { CODEX_HOME: home, ...env });
  try {
    return await fn();
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
}

const providerToml = (baseUrl: string) =>
  `model = "m"\nmodel_provider = "local"\n[model_providers.local]\nname = "Local"\nbase_url = "${baseUrl}"\n` +
  `env_key = "DOCTOR_TEST_KEY"\n`;

Deno.test("doctor: every check passes against the fake server, including a live request", async () => {
  const server = new FakeResponsesServer(
    parseScenario({ responses: [{ output: [{ type: "message", text: "OK" }] }] }),
  );
  await server.start();
  try {
    // No sandbox to need, so every check can pass whether or not bubblewrap is installed.
    const checks = await withHome(
      'sandbox_mode = "danger-full-access"\n' + providerToml(server.baseUrl),
      { DOCTOR_TEST_KEY: "sk-doctor" },
      () => runChecks(),
    );
    assert.deepEqual(checks.map((c) => c.name), [
      "config",
      "dotenv",
      "provider",
      "api_key",
      "proxy",
      "dns",
      "transport",
      "live",
      "sandbox",
    ]);
    assert.ok(checks.every((c) => c.ok), JSON.stringify(checks));
    assert.match(checks.find((c) => c.name === "live")!.detail, /"OK"/);
    assert.equal(server.requests.length, 1);
    assert.ok(!JSON.stringify(checks).includes("sk-doctor"));
  } finally {
    await server.close();
  }
});

Deno.test("doctor: a closed port fails transport and skips the live request", async () => {
  // Bind then close, so the port is known to be free and nothing listens there.
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
  const checks = await withHome(providerToml(`http://127.0.0.1:${port}/v1`), {
    DOCTOR_TEST_KEY: "k",
  }, () => runChecks());
  const byName = Object.fromEntries(checks.map((c) => [c.name, c]));
  assert.equal(byName.dns.ok, true);
  assert.equal(byName.transport.ok, false);
  assert.match(byName.transport.detail, new RegExp(`127.0.0.1:${port}`));
  assert.equal(byName.live.ok, false);
});

Deno.test("doctor: a missing API key is reported, not thrown", async () => {
  const checks = await withHome(
    providerToml("http://127.0.0.1:9/v1"),
    {},
    () => runChecks({ skipLive: true }),
  );
  const provider = checks.find((c) => c.name === "provider")!;
  assert.equal(provider.ok, false);
  assert.match(provider.detail, /DOCTOR_TEST_KEY/);
});

Deno.test("doctor: the sandbox check names the fix when bubblewrap is missing", async () => {
  const checks = await withHome(
    providerToml("http://127.0.0.1:9/v1"),
    { PATH: "/nonexistent" },
    () => runChecks({ skipLive: true }),
  );
  const sandbox = checks.find((c) => c.name === "sandbox")!;
  assert.equal(sandbox.ok, false);
  assert.match(sandbox.detail, /apt-get install bubblewrap/);
  assert.match(sandbox.detail, /-s danger-full-access/);
});

Deno.test({
  name: "doctor: the sandbox check passes where bubblewrap works",
  ignore: sandboxMissing("the doctor test that needs bubblewrap"),
  fn: async () => {
    const checks = await withHome(
      providerToml("http://127.0.0.1:9/v1"),
      {},
      () => runChecks({ skipLive: true }),
    );
    const sandbox = checks.find((c) => c.name === "sandbox")!;
    assert.equal(sandbox.ok, true, sandbox.detail);
    assert.match(sandbox.detail, /^read-only with bubblewrap at \//);
  },
});

/** A port nothing listens on: bound, then closed. */
function freePort(): Promise<number> {
  return new Promise<number>((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

Deno.test("doctor: the proxy check names the proxy with its credentials redacted, and fails when it is down", async () => {
  const port = await freePort();
  const checks = await withHome(providerToml("http://127.0.0.1:9/v1"), {
    DOCTOR_TEST_KEY: "k",
    HTTP_PROXY: `http://alice:hunter2@127.0.0.1:${port}`,
    NO_PROXY: "",
  }, () => runChecks({ skipLive: true }));
  const byName = Object.fromEntries(checks.map((c) => [c.name, c]));
  assert.equal(byName.proxy.ok, false);
  assert.match(
    byName.proxy.detail,
    new RegExp(`HTTP_PROXY=http://\\*\\*\\*:\\*\\*\\*@127.0.0.1:${port}`),
  );
  assert.equal(byName.transport.ok, false);
  assert.ok(!JSON.stringify(checks).includes("hunter2"), JSON.stringify(checks));
  assert.ok(!JSON.stringify(checks).includes("alice"), JSON.stringify(checks));
});

Deno.test("doctor: a listening proxy passes; NO_PROXY for the host means a direct connection", async () => {
  const proxy = createServer((socket) => socket.end());
  const port = await new Promise<number>((resolve) =>
    proxy.listen(0, "127.0.0.1", () => resolve((proxy.address() as { port: number }).port))
  );
  try {
    const env = { DOCTOR_TEST_KEY: "k", HTTP_PROXY: `http://127.0.0.1:${port}`, NO_PROXY: "" };
    const through = await withHome(
      providerToml("http://api.example.test:9/v1"),
      env,
      () => runChecks({ skipLive: true }),
    );
    const proxied = Object.fromEntries(through.map((c) => [c.name, c]));
    assert.equal(proxied.proxy.ok, true, proxied.proxy.detail);
    assert.match(proxied.proxy.detail, /accepts connections/);
    assert.equal(proxied.dns.ok, true, "the proxy resolves the host, not us");
    assert.equal(proxied.transport.ok, true);
  } finally {
    await new Promise((resolve) => proxy.close(resolve));
  }
  const url = new URL("https://api.example.test/v1");
  assert.deepEqual(proxyFor(url, { HTTPS_PROXY: "http://p:1" }), {
    variable: "HTTPS_PROXY",
    value: "http://p:1",
  });
  assert.equal(proxyFor(url, { HTTPS_PROXY: "http://p:1", NO_PROXY: "example.test" }), undefined);
  assert.equal(
    proxyFor(url, { HTTPS_PROXY: "http://p:1", no_proxy: ".example.test:443" }),
    undefined,
  );
  assert.equal(proxyFor(url, { HTTP_PROXY: "http://p:1" }), undefined, "https asks HTTPS_PROXY");
  assert.equal(redactProxy("http://u:p@h:1"), "http://***:***@h:1");
  assert.doesNotMatch(redactProxy("u:secret@h"), /secret/);
});

Deno.test("doctor --profile checks the provider the profile selects", async () => {
  const checks = await withHome(
    providerToml("http://127.0.0.1:9/v1") +
      `[profiles.other]\nmodel_provider = "second"\nmodel = "m2"\n` +
      `[model_providers.second]\nname = "Second"\nbase_url = "http://127.0.0.1:8/v1"\n`,
    { DOCTOR_TEST_KEY: "k" },
    () => runChecks({ skipLive: true, profile: "other" }),
  );
  const byName = Object.fromEntries(checks.map((c) => [c.name, c]));
  assert.match(byName.config.detail, /\(profile other\)/);
  assert.match(byName.provider.detail, /^second \(Second\) at http:\/\/127.0.0.1:8\/v1, model m2$/);
  const missing = await withHome(
    providerToml("http://127.0.0.1:9/v1"),
    { DOCTOR_TEST_KEY: "k" },
    () => runChecks({ skipLive: true, profile: "nope" }),
  );
  assert.match(missing.find((c) => c.name === "provider")!.detail, /profile "nope"/);
});
