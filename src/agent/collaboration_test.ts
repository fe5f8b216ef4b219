// Collaboration modes and the tools that talk to the user, end to end against a scripted backend:
// request_user_input in Default and Plan mode, the mode switch as the model sees it, and
// request_permissions grants (turn, session) and refusals acting on the sandbox.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { requestInvariantViolations } from "../fake/mod.ts";
import {
  defaultTools,
  PermissionGrants,
  type PermissionsHandler,
  type UserInputRequest,
} from "../tools/mod.ts";
import {
  CollaborationMode,
  collaborationModeText,
  withoutCollaborationMode,
} from "./collaboration.ts";
import { environmentFacts, initialContext } from "./context.ts";
import { collabAgent, collabBackend, outputOf, textOf } from "./testdata/collab.ts";

const call = (call_id: string, name: string, args: Record<string, unknown>) => ({
  type: "function_call" as const,
  call_id,
  name,
  arguments: args,
});
const patch = (call_id: string, path: string) => ({
  type: "custom_tool_call" as const,
  call_id,
  name: "apply_patch",
  input: `*** Begin Patch\n*** Add File: ${path}\n+hi\n*** End Patch\n`,
});
const say = (text: string) => ({ output: [{ type: "message" as const, text }] });

const QUESTION = {
  id: "db",
  header: "Database",
  question: "Which database should the service use?",
  options: [
    { label: "Postgres", description: "Relational, already in the stack." },
    { label: "SQLite", description: "A file, nothing to run." },
  ],
};

Deno.test("request_user_input: unavailable in Default mode, whatever the arguments", async () => {
  const backend = await collabBackend({
    responses: [
      {
        output: [
          call("c1", "request_user_input", { questions: [QUESTION] }),
          call("c2", "request_user_input", { questions: "not a list" }),
        ],
      },
      say("ok"),
    ],
  });
  const mode = new CollaborationMode();
  let asked = 0;
  const t = await collabAgent(backend, (processes) =>
    defaultTools(processes, {
      userInput: {
        mode: mode.userInputMode,
        handler: () => {
          asked++;
          return Promise.resolve(undefined);
        },
      },
    }));
  try {
    await t.agent.runTurn(["pick a database"]);
    const input = t.inputs()[1];
    for (const id of ["c1", "c2"]) {
      assert.equal(outputOf(input, id), "request_user_input is unavailable in Default mode");
    }
    assert.equal(asked, 0);
  } finally {
    await t.close();
  }
});

Deno.test("request_user_input in Plan mode: options required, isOther added, the user's answers returned", async () => {
  const backend = await collabBackend({
    responses: [
      {
        output: [
          call("c1", "request_user_input", {
            questions: [{ id: "x", header: "X", question: "Free text?" }],
          }),
          call("c2", "request_user_input", {
            questions: [{ id: "x", header: "X", question: "Empty?", options: [] }],
          }),
          call("c3", "request_user_input", { questions: [QUESTION] }),
          call("c4", "request_user_input", { questions: [QUESTION] }),
        ],
      },
      say("planned"),
    ],
  });
  const mode = new CollaborationMode();
  const asked: UserInputRequest[] = [];
  const t = await collabAgent(backend, (processes) =>
    defaultTools(processes, {
      userInput: {
        mode: mode.userInputMode,
        handler: (request) => {
          asked.push(request);
          // The first time the user answers, the second they dismiss the questions.
          return Promise.resolve(
            asked.length === 1 ? { db: { answers: ["SQLite"] } } : undefined,
          );
        },
      },
    }));
  try {
    assert.equal(mode.switchTo("plan", t.agent), true);
    assert.equal(mode.switchTo("plan", t.agent), false);
    await t.agent.runTurn(["plan the storage"]);
    const [first, second] = t.inputs();
    // The context states no mode here, so the change reaches the model as a developer message
    // before the user's.
    assert.deepEqual(first.slice(-2).map((item) => item.role), ["developer", "user"]);
    assert.equal(textOf(first.at(-2)), collaborationModeText("plan"));
    assert.match(textOf(first.at(-2))!, /^<collaboration_mode># Collaboration Mode: Plan\n/);
    const requiresOptions = "request_user_input requires non-empty options for every question";
    assert.equal(outputOf(second, "c1"), requiresOptions);
    assert.equal(outputOf(second, "c2"), requiresOptions);
    assert.equal(outputOf(second, "c3"), '{"answers":{"db":{"answers":["SQLite"]}}}');
    assert.equal(
      outputOf(second, "c4"),
      "request_user_input was cancelled before receiving a response",
    );
    assert.deepEqual(asked[0].questions, [{ ...QUESTION, isOther: true }]);
    assert.equal(asked[0].callId, "c3");
    for (const request of backend.main.requests) {
      assert.deepEqual(requestInvariantViolations(request.body), []);
    }
  } finally {
    await t.close();
  }
});

Deno.test("request_user_input with nobody to ask (exec) is cancelled in Plan mode", async () => {
  const backend = await collabBackend({
    responses: [
      { output: [call("c1", "request_user_input", { questions: [QUESTION] })] },
      say("ok"),
    ],
  });
  const mode = new CollaborationMode("plan");
  const t = await collabAgent(
    backend,
    (processes) => defaultTools(processes, { userInput: { mode: mode.userInputMode } }),
  );
  try {
    await t.agent.runTurn(["go"]);
    assert.equal(
      outputOf(t.inputs()[1], "c1"),
      "request_user_input was cancelled before receiving a response",
    );
  } finally {
    await t.close();
  }
});

Deno.test("request_permissions: a turn grant opens a path for that turn only; refusals and session grants as upstream replies", async () => {
  const backend = await collabBackend({
    responses: [
      {
        output: [
          call("c1", "request_permissions", { permissions: {} }),
          call("c2", "request_permissions", {
            reason: "write the build output",
            permissions: { file_system: { write: ["out"] } },
          }),
          patch("p1", "out/a.txt"),
        ],
      },
      say("wrote a"),
      { output: [patch("p2", "out/b.txt")] },
      {
        output: [
          call("c3", "request_permissions", { permissions: { network: { enabled: true } } }),
          call("c4", "request_permissions", { permissions: { network: { enabled: true } } }),
        ],
      },
      say("done"),
    ],
  });
  const grants = new PermissionGrants();
  const decisions = ["turn", "no", "session"];
  const requests: unknown[] = [];
  const handler: PermissionsHandler = (request) => {
    requests.push(request);
    const decision = decisions.shift();
    return Promise.resolve(
      decision === "no"
        ? undefined
        : { permissions: request.permissions, scope: decision as "turn" | "session" },
    );
  };
  const t = await collabAgent(
    backend,
    (processes) => defaultTools(processes, { requestPermissions: { handler, grants } }),
    { sandbox: { mode: "read-only", writableRoots: [] }, permissionGrants: grants },
  );
  try {
    // The sandbox can only open directories that exist.
    const out = join(t.cwd, "out");
    await mkdir(out);
    await t.agent.runTurn(["build"]);
    const first = t.inputs()[1];
    assert.equal(outputOf(first, "c1"), "request_permissions requires at least one permission");
    assert.equal(
      outputOf(first, "c2"),
      JSON.stringify({
        permissions: { network: null, file_system: { write: [out] } },
        scope: "turn",
      }),
    );
    assert.match(String(outputOf(first, "p1")), /^Exit code: 0\n/);
    assert.ok(existsSync(join(out, "a.txt")));
    assert.deepEqual(requests[0], {
      callId: "c2",
      reason: "write the build output",
      permissions: { file_system: { write: [out] } },
    });

    // The next turn is back to read-only.
    await t.agent.runTurn(["again"]);
    const inputs = t.inputs();
    assert.equal(
      outputOf(inputs[3], "p2"),
      "patch rejected: writing outside of the project; rejected by user approval settings",
    );
    assert.equal(existsSync(join(out, "b.txt")), false);
    assert.equal(
      outputOf(inputs[4], "c3"),
      '{"permissions":{"network":null,"file_system":null},"scope":"turn"}',
    );
    assert.equal(
      outputOf(inputs[4], "c4"),
      '{"permissions":{"network":{"enabled":true},"file_system":null},"scope":"session"}',
    );
    assert.equal(grants.networkEnabled, true, "a session grant outlives its turn");
  } finally {
    await t.close();
  }
});

Deno.test("request_permissions with nobody to ask (exec) gets upstream's empty grant", async () => {
  const backend = await collabBackend({
    responses: [
      {
        output: [
          call("c1", "request_permissions", { permissions: { network: { enabled: true } } }),
        ],
      },
      say("ok"),
    ],
  });
  const t = await collabAgent(
    backend,
    (processes) =>
      defaultTools(processes, { requestPermissions: { grants: new PermissionGrants() } }),
  );
  try {
    await t.agent.runTurn(["go"]);
    assert.equal(
      outputOf(t.inputs()[1], "c1"),
      '{"permissions":{"network":null,"file_system":null},"scope":"turn"}',
    );
  } finally {
    await t.close();
  }
});

Deno.test("the collaboration section sits between developer instructions and skills; sub-agents drop it", () => {
  const context = initialContext({
    environment: environmentFacts("/w", "/bin/bash"),
    sandboxMode: "read-only",
    approvalPolicy: "never",
    developerInstructions: "Be brief.",
    collaborationMode: collaborationModeText("default"),
    skills: [{ name: "demo", description: "A demo skill.", file: "/s/SKILL.md" }],
  });
  const parts = (context[0].content as Array<{ text: string }>).map((part) => part.text);
  assert.equal(parts.length, 4);
  assert.match(parts[0], /^<permissions instructions>/);
  assert.equal(parts[1], "Be brief.");
  assert.match(
    parts[2],
    /^<collaboration_mode># Collaboration Mode: Default\n[\s\S]*<\/collaboration_mode>$/,
  );
  assert.match(parts[3], /^<skills_instructions>/);
  const stripped = withoutCollaborationMode(context);
  assert.deepEqual(
    (stripped[0].content as Array<{ text: string }>).map((part) => part.text),
    [parts[0], parts[1], parts[3]],
  );
  assert.deepEqual(stripped[1], context[1]);
});

Deno.test("a mode switch before the first turn restates the context; later ones are announced", async () => {
  const backend = await collabBackend({ responses: [say("one"), say("two")] });
  const mode = new CollaborationMode();
  const t = await collabAgent(
    backend,
    (processes) => defaultTools(processes, { userInput: { mode: mode.userInputMode } }),
    {
      initialContext: [{
        type: "message",
        role: "developer",
        content: [
          { type: "input_text", text: "<permissions instructions>p</permissions instructions>" },
          { type: "input_text", text: collaborationModeText("default") },
        ],
      }],
    },
  );
  try {
    mode.switchTo("plan", t.agent);
    await t.agent.runTurn(["plan it"]);
    mode.switchTo("default", t.agent);
    await t.agent.runTurn(["do it"]);
    const [first, second] = t.inputs();
    // As upstream: the first request's developer message already states Plan mode, nothing more.
    assert.deepEqual(first.map((item) => item.role), ["developer", "user"]);
    assert.match(textOf(first[0])!, /<collaboration_mode># Collaboration Mode: Plan\n/);
    assert.doesNotMatch(textOf(first[0])!, /Collaboration Mode: Default/);
    // After that, the switch is a developer message before the next user message…
    assert.equal(textOf(second.at(-2)), collaborationModeText("default"));
    // …and a compaction would restate the current mode.
    assert.match(textOf(t.agent.options.initialContext![0])!, /Collaboration Mode: Default/);
  } finally {
    await t.close();
  }
});
