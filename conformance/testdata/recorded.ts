// A recorded fixture for the grader's tests (one scenario whose single request is a Codex-shaped
// body, or any body given), and the grading of the reference provider with it.
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeFixture } from "../fixtures.ts";
import { gradeProvider, type ProviderCard } from "../provider.ts";
import type { RequestRecord } from "../recording.ts";
import { type ReferenceOptions, ReferenceProvider } from "./reference_provider.ts";

type Json = Record<string, unknown>;

/** A Codex-shaped body: a function tool and a custom (freeform) tool. */
export const CODEX_BODY = {
  model: "gpt-5.1-codex",
  instructions: "<PROSE sha256:00 len:1>",
  input: [{ type: "message", role: "user", content: [{ type: "input_text", text: "hi" }] }],
  tools: [
    {
      type: "function",
      name: "exec_command",
      description: "<PROSE sha256:01 len:1>",
      parameters: { type: "object", properties: { cmd: { type: "string" } } },
    },
    { type: "custom", name: "apply_patch", description: "<PROSE sha256:02 len:1>" },
  ],
  tool_choice: "auto",
  parallel_tool_calls: false,
  stream: true,
  store: false,
};

/** A fixture folder holding one recorded scenario whose single request is `body`. */
export async function fixturesWith(body: Json = CODEX_BODY): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "tscodex-grade-"));
  const request: RequestRecord = {
    method: "POST",
    path: "/v1/responses",
    query: "",
    headers: {},
    body,
  };
  await writeFixture(join(dir, "upstream", "0.115.0", "demo"), {
    scenario: "demo",
    runs: [{ argv: ["exec", "hi"], exit_code: 0, stdout: "", stderr: "", requests: [request] }],
    rollouts: [],
    files: {},
  }, { scenario_digest: "x", recorded_with: { program: "test", version: "0" } });
  return dir;
}

/** Grades the reference provider, with `options`' defect, on the Codex body and the generic set. */
export async function gradeReference(options: ReferenceOptions = {}): Promise<ProviderCard> {
  const provider = await new ReferenceProvider(options).start();
  try {
    return await gradeProvider({
      baseUrl: provider.baseUrl,
      fixturesDir: await fixturesWith(),
      upstream: "0.115.0",
      parallel: 4,
      timeoutMs: 30_000,
    });
  } finally {
    await provider.close();
  }
}
