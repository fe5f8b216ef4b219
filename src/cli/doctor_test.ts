import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { FakeResponsesServer, parseScenario } from "../fake/mod.ts";
import { sandboxMissing } from "../tools/testing.ts";
import { runChecks } from "./doctor.ts";

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
