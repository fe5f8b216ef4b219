// This repository's own servers pass every check on every request, Codex's recorded ones and the
// generic set: `tscodex fake-server` as a process, and `tscodex serve` in front of a chat and an
// Anthropic-messages backend.
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { mkdtemp } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { gradeProvider, type ProviderCard } from "./provider.ts";
import { startServeInFront } from "./through_serve.ts";
import { ModelBackend } from "./testdata/model_backend.ts";
import { startServer } from "./testdata/server_process.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

function failures(card: ProviderCard): string[] {
  return card.results.flatMap((r) =>
    r.checks.filter((c) => !c.ok).map((c) => `${r.id} ${c.name}: ${c.detail}`)
  );
}

async function grade(baseUrl: string): Promise<ProviderCard> {
  return await gradeProvider({
    baseUrl,
    fixturesDir: join(ROOT, "fixtures"),
    upstream: "0.115.0",
    parallel: 4,
    timeoutMs: 60_000,
  });
}

Deno.test("clean: tscodex fake-server passes every check", async () => {
  const dir = await mkdtemp(join(tmpdir(), "tscodex-clean-"));
  const scenario = join(dir, "scenario.json");
  await writeFile(
    scenario,
    JSON.stringify({
      responses: [{
        output: [
          { type: "reasoning", summary: ["Looking at the request."] },
          { type: "message", text: "Done." },
        ],
      }],
      after_last: "repeat_last",
    }),
  );
  const server = await startServer(
    [
      join(ROOT, "node_modules", ".bin", "deno"),
      "run",
      "-A",
      join(ROOT, "main.ts"),
      "fake-server",
      "--scenario",
      scenario,
      "--port",
      "0",
    ],
    {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: homedir(),
        DENO_DIR: process.env.DENO_DIR ?? join(homedir(), ".cache", "deno"),
      },
    },
  );
  try {
    const card = await grade(server.line);
    assert.deepEqual(failures(card), []);
    assert.ok(card.results.length >= 90);
  } finally {
    await server.stop();
  }
});

for (const api of ["chat", "messages"] as const) {
  Deno.test(`clean: tscodex serve in front of a ${api} backend passes every check`, async () => {
    const backend = await new ModelBackend(api).start();
    const pair = await startServeInFront(backend.url, api);
    try {
      const card = await grade(pair.url);
      assert.deepEqual(failures(card), []);
    } finally {
      await pair.close();
      await backend.close();
    }
  });
}
