// `tscodex fake-server` as a process: a client that breaks the Responses rules is refused, and the
// server's exit status on SIGTERM says so, so a test driving it through a subprocess sees it too.
import assert from "node:assert/strict";
import { CLI } from "./cli_testing.ts";
import { DEADLINE_MS, tempDir, within } from "../testing/mod.ts";

async function fakeServerRun(
  bodies: unknown[],
): Promise<{ statuses: number[]; code: number; stderr: string }> {
  const child = new Deno.Command(CLI[0], {
    args: [...CLI.slice(1), "fake-server", "--port", "0"],
    cwd: await tempDir("tscodex-fake-server-"),
    env: { PATH: "/usr/bin:/bin" },
    signal: AbortSignal.timeout(DEADLINE_MS),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!out.includes("\n")) {
    const next = await within(reader.read(), "fake-server to print its address");
    if (next.done) break;
    out += next.value;
  }
  await reader.cancel();
  const baseUrl = out.split("\n")[0];
  assert.match(baseUrl, /^http:\/\/127\.0\.0\.1:\d+\/v1$/, "the first line is the base URL");
  const statuses: number[] = [];
  for (const body of bodies) {
    const response = await within(
      fetch(`${baseUrl}/responses`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      }),
      "the fake server to answer",
    );
    statuses.push(response.status);
    await response.body?.cancel();
  }
  child.kill("SIGTERM");
  const { code } = await within(child.status, "fake-server to stop");
  return { statuses, code, stderr: await within(stderr, "fake-server's stderr to end") };
}

const GOOD = { model: "m", stream: true, input: [{ type: "message", role: "user", content: [] }] };

Deno.test("fake-server: a request breaking the rules gets a 400 and the server exits 1 naming it", async () => {
  const orphan = {
    model: "m",
    input: [{ type: "function_call_output", call_id: "call_nowhere", output: "x" }],
  };
  const run = await fakeServerRun([GOOD, orphan]);
  assert.deepEqual(run.statuses, [200, 400]);
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stderr, /fake-server: the fake server received 1 request\(s\) breaking/);
  assert.match(run.stderr, /#1 \/v1\/responses: function_call_output for call_nowhere has no/);
  assert.doesNotMatch(run.stderr, /\n\s+at /, "no stack trace");
});

Deno.test("fake-server: well-formed requests only, it stops with status 0", async () => {
  const run = await fakeServerRun([GOOD]);
  assert.deepEqual(run.statuses, [200]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stderr, "");
});
