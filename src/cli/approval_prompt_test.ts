import assert from "node:assert/strict";
import { approvalAnswer, approvalPrompt, approvalQuestion } from "./approval_prompt.ts";

Deno.test("approval prompt: shows the command, where and why; y, a and anything else", async () => {
  const request = {
    callId: "c",
    command: ["/bin/bash", "-lc", "rm -rf build"],
    cwd: "/work",
    reason: "escalation" as const,
    justification: "Clean the build?",
  };
  assert.equal(
    approvalQuestion(request),
    "The agent asks to run a command outside the sandbox: Clean the build?\n" +
      "  $ /bin/bash -lc 'rm -rf build'\n  in /work\n" +
      "Allow? [y] yes, [a] always in this session, [n] no: ",
  );
  const cases: Array<[string | undefined, string]> = [
    ["y", "approved"],
    [" YES ", "approved"],
    ["a", "approved_for_session"],
    ["n", "denied"],
    ["", "denied"],
    ["sure", "denied"],
    [undefined, "denied"],
  ];
  for (const [line, decision] of cases) assert.equal(approvalAnswer(line), decision, String(line));
  const shown: string[] = [];
  const handler = approvalPrompt((question) => (shown.push(question), Promise.resolve("a")));
  assert.equal(await handler(request, new AbortController().signal), "approved_for_session");
  assert.deepEqual(shown, [approvalQuestion(request)]);
});
