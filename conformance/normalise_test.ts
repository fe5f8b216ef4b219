import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { maskProse, normaliseRecording, prosePlaceholder } from "./normalise.ts";
import type { RawRecording } from "./recording.ts";

const ROOTS = {
  root: "/cache/runs/plain-Ab12Cd",
  cwd: "/cache/runs/plain-Ab12Cd/project",
  codexHome: "/cache/runs/plain-Ab12Cd/codex-home",
  home: "/cache/runs/plain-Ab12Cd/home",
};

/** One synthetic upstream-like recording; ids, clocks, ports and paths vary with `seed`. */
function raw(seed: string, options: { root?: string } = {}): RawRecording {
  const root = options.root ?? ROOTS.root;
  const roots = {
    root,
    cwd: `${root}/project`,
    codexHome: `${root}/codex-home`,
    home: `${root}/home`,
  };
  const uuid = (n: number) => `0199${seed}0${n}-aaaa-7bbb-8ccc-${seed.repeat(6)}`;
  const [session, turn, other] = [uuid(1), uuid(2), uuid(3)];
  const execId = seed === "a1" ? "61932" : "40998";
  const port = seed === "a1" ? "33634" : "41000";
  const time = seed === "a1" ? "2026-11-24T12:16:55.296Z" : "2027-01-02T03:04:05.678Z";
  const commit = seed === "a1"
    ? "76117bb0f98f00e373db1d5bd2867df51d431b7e"
    : "28835c0352e70346c288eb1c4d6b53534478e908";
  const skills =
    `<skills_instructions>\nfile: ${roots.codexHome}/skills/x/SKILL.md\n</skills_instructions>`;
  const body = {
    model: "gpt-5.1-codex",
    instructions: "You are a coding agent. Long built-in text.",
    input: [
      {
        type: "message",
        role: "developer",
        content: [{
          type: "input_text",
          text: "<permissions instructions>\nread-only\n</permissions instructions>",
        }, {
          type: "input_text",
          text: skills,
        }],
      },
      {
        type: "message",
        role: "user",
        content: [{
          type: "input_text",
          text: `<environment_context>\n  <cwd>${roots.cwd}</cwd>\n  <current_date>${
            time.slice(0, 10)
          }</current_date>\n</environment_context>`,
        }],
      },
      {
        type: "function_call",
        name: "write_stdin",
        arguments: `{"session_id":${execId},"chars":""}`,
        call_id: "c2",
      },
      {
        type: "function_call_output",
        call_id: "c1",
        output:
          `Command: x\nChunk ID: ${seed}cdef\nWall time: 0.50${seed.length} seconds\nProcess running with session ID ${execId}\nOutput:\n`,
      },
      {
        type: "message",
        role: "user",
        content: [{ type: "input_text", text: "hi" }, {
          type: "input_text",
          text: "Written by the program: the history was compacted.",
        }],
      },
      {
        type: "function_call_output",
        call_id: "c2",
        output: `aborted by user after ${seed === "a1" ? "0.1" : "12.3"}s`,
      },
      {
        type: "function_call_output",
        call_id: "c3",
        output:
          `Wall time: 0.5 seconds\nOutput:\n{"output":"Success.\\n","metadata":{"exit_code":0,` +
          `"duration_seconds":${seed === "a1" ? "0.5" : "1"}}}`,
      },
    ],
    tools: [{
      type: "function",
      name: "exec_command",
      description: "Runs a command.",
      parameters: {
        type: "object",
        properties: { cmd: { type: "string", description: "The command." } },
      },
    }, {
      type: "custom",
      name: "apply_patch",
      description: "Patch.",
      format: { type: "grammar", definition: "start: x" },
    }],
    client_metadata: seed === "a1" ? { b: other, a: "1" } : { a: "1", b: other },
    prompt_cache_key: session,
  };
  return {
    scenario: "plain",
    roots,
    wallMs: [1],
    runs: [{
      argv: ["exec", "--json", "hi"],
      exit_code: 0,
      requests: [{
        method: "POST",
        path: "/v1/responses",
        query: "",
        headers: {
          "content-length": seed === "a1" ? "100" : "120",
          host: `127.0.0.1:${port}`,
          "user-agent": "codex_exec/0.115.0 (Debian 12.0.0; x86_64) xterm (codex-exec; 0.115.0)",
          "x-client-request-id": session,
          "x-codex-turn-metadata": JSON.stringify({
            turn_id: turn,
            workspaces: { [roots.cwd]: { latest_git_commit_hash: commit } },
          }),
        },
        body,
      }],
      stdout: JSON.stringify({ type: "thread.started", thread_id: session }) + "\n",
      stderr: `workdir: ${roots.cwd}\nsucceeded in 12ms:\nsession id: ${session}\n`,
    }],
    rollouts: [{
      name: `sessions/${time.slice(0, 4)}/${time.slice(5, 7)}/${time.slice(8, 10)}/rollout-${
        time.slice(0, 19).replaceAll(":", "-")
      }-${session}.jsonl`,
      lines: [
        {
          timestamp: time,
          type: "session_meta",
          payload: {
            id: session,
            base_instructions: { text: "You are a coding agent. Long built-in text." },
          },
        },
        {
          timestamp: time,
          type: "event_msg",
          payload: {
            type: "task_complete",
            turn_id: turn,
            duration_ms: seed.length * 7,
            started_at: 1795522767,
          },
        },
        {
          type: "world_state",
          payload: {
            host_skills: { body: "Skill list prose." },
            permissions: { instructions: commit },
          },
        },
        {
          type: "event_msg",
          payload: {
            item: { process_id: execId, duration: { secs: 0, nanos: 7374 } },
            create_time: 1.5,
          },
        },
      ],
    }],
    files: { "hello.txt": `made in ${roots.cwd} on ${time.slice(0, 10)}\n` },
  };
}

Deno.test("two recordings that differ only in volatile values normalise to the same thing", () => {
  const a = normaliseRecording(raw("a1"));
  const b = normaliseRecording(raw("b2", { root: "/elsewhere/runs/plain-Zz99Yy" }));
  // Byte for byte, key order included: fixtures are compared as files.
  assert.equal(JSON.stringify(a), JSON.stringify(b));
});

Deno.test("ids are named by role and numbered by first appearance, alike in every file", () => {
  const n = normaliseRecording(raw("a1"));
  const request = n.runs[0].requests[0];
  const body = request.body as Record<string, unknown>;
  assert.equal(body.prompt_cache_key, "<SESSION#1>");
  assert.equal(request.headers["x-client-request-id"], "<SESSION#1>");
  assert.deepEqual(JSON.parse(request.headers["x-codex-turn-metadata"]), {
    turn_id: "<TURN#1>",
    workspaces: { "<CWD>": { latest_git_commit_hash: "<SHA1#1>" } },
  });
  assert.equal(n.runs[0].stdout, '{"type":"thread.started","thread_id":"<SESSION#1>"}\n');
  assert.equal(n.rollouts[0].name, "sessions/<YYYY>/<MM>/<DD>/rollout-<TS>-<SESSION#1>.jsonl");
  const lines = n.rollouts[0].lines as Array<
    { payload: Record<string, unknown>; timestamp?: string }
  >;
  assert.equal(lines[0].payload.id, "<SESSION#1>");
  assert.equal(lines[0].timestamp, "<TS>");
  assert.equal(lines[1].payload.turn_id, "<TURN#1>");
  assert.deepEqual((body.client_metadata as Record<string, unknown>).b, "<UUID#1>");
});

Deno.test("paths, ports, dates, chunk ids, wall, measured and aborted-after times, exec sessions", () => {
  const n = normaliseRecording(raw("a1"));
  const request = n.runs[0].requests[0];
  const input = (request.body as { input: Array<Record<string, unknown>> }).input;
  assert.equal(request.headers.host, "127.0.0.1:<PORT>");
  assert.equal(request.headers["content-length"], "<N>");
  assert.equal(
    request.headers["user-agent"],
    "codex_exec/<VERSION> (<OS>; <ARCH>) xterm (codex-exec; <VERSION>)",
  );
  assert.equal(
    (input[1].content as Array<{ text: string }>)[0].text,
    "<environment_context>\n  <cwd><CWD></cwd>\n  <current_date><DATE></current_date>\n</environment_context>",
  );
  assert.equal(
    input[3].output,
    "Command: x\nChunk ID: <CHUNK>\nWall time: <WALL> seconds\nProcess running with session ID <EXEC#1>\nOutput:\n",
  );
  // The same process id in the call's arguments (embedded JSON) and in a rollout.
  assert.equal(input[2].arguments, '{"session_id":"<EXEC#1>","chars":""}');
  // An interrupted call's run time.
  assert.equal(input[5].output, "aborted by user after <DURATION>");
  // A patch applied through a command: its duration inside the output's JSON text.
  assert.equal(
    input[6].output,
    'Wall time: <WALL> seconds\nOutput:\n{"output":"Success.\\n","metadata":{"exit_code":0,"duration_seconds":<DURATION>}}',
  );
  const lines = n.rollouts[0].lines as Array<{ payload: Record<string, unknown> }>;
  assert.equal(lines[1].payload.duration_ms, "<NUM>");
  assert.equal(lines[1].payload.started_at, "<NUM>");
  assert.deepEqual(lines[3].payload, {
    item: { process_id: "<EXEC#1>", duration: "<DURATION>" },
    create_time: "<NUM>",
  });
  assert.equal(
    n.runs[0].stderr,
    "workdir: <CWD>\nsucceeded in <DURATION>:\nsession id: <SESSION#1>\n",
  );
  assert.deepEqual(n.files, { "hello.txt": "made in <CWD> on <DATE>\n" });
});

Deno.test("built-in prose becomes a digest of its normalised text, wherever it appears", () => {
  const n = normaliseRecording(raw("a1"));
  const body = n.runs[0].requests[0].body as {
    instructions: string;
    input: Array<{ content: Array<{ text: string }> }>;
    tools: Array<{
      description: string;
      parameters: { properties: { cmd: { description: string } } };
      format: { type: string; definition: string };
    }>;
  };
  const digest = (text: string) => createHash("sha256").update(text).digest("hex");
  assert.equal(
    body.instructions,
    `<PROSE sha256:${digest("You are a coding agent. Long built-in text.")} len:43>`,
  );
  const developer = body.input[0].content.map((c) => c.text);
  assert.match(developer[0], /^<PROSE\[permissions instructions\] sha256:[0-9a-f]{64} len:\d+>$/);
  // Paths are replaced before hashing, so the digest does not depend on where CODEX_HOME was.
  assert.equal(
    developer[1],
    prosePlaceholder(
      "<skills_instructions>\nfile: <CODEX_HOME>/skills/x/SKILL.md\n</skills_instructions>",
    ),
  );
  assert.match(body.tools[0].description, /^<PROSE sha256/);
  assert.match(body.tools[0].parameters.properties.cmd.description, /^<PROSE sha256/);
  assert.match(body.tools[1].format.definition, /^<PROSE sha256/);
  assert.equal(body.tools[1].format.type, "grammar", "schema words are not prose");
  // What the user typed and the structured blocks stay; other user-role text is the program's.
  assert.match(body.input[1].content[0].text, /^<environment_context>/);
  assert.equal(body.input[4].content[0].text, "hi");
  assert.match(body.input[4].content[1].text, /^<PROSE sha256/);
  const lines = n.rollouts[0].lines as Array<{
    payload: {
      base_instructions: { text: string };
      host_skills: { body: string };
      permissions: { instructions: string };
    };
  }>;
  assert.equal(
    lines[0].payload.base_instructions.text,
    body.instructions,
    "same prose, same digest",
  );
  assert.match(lines[2].payload.host_skills.body, /^<PROSE sha256/);
  assert.equal(
    lines[2].payload.permissions.instructions,
    "<SHA1#1>",
    "a digest is an id, not prose",
  );
});

Deno.test("maskProse keeps the tag and drops digest and length", () => {
  const text = `a ${prosePlaceholder("<rules>\nx\n</rules>")} b ${prosePlaceholder("plain")}`;
  assert.equal(maskProse(text), "a <PROSE[rules]> b <PROSE>");
});

type Json = Record<string, unknown>;

/** A parent's spawn + wait and its sub-agent's first request, as upstream 0.115 records them. */
function subAgentRaw(nickname: string, childId: string): RawRecording {
  const message = `Say hi from the child in ${ROOTS.cwd}`;
  const notification = `<subagent_notification>\n{"agent_id":"${childId}","status":{"completed":` +
    `"Hi."}}\n</subagent_notification>`;
  const user = (text: string) => ({
    type: "message",
    role: "user",
    content: [{ type: "input_text", text }],
  });
  const parent = {
    input: [
      user("Ask a helper"),
      {
        type: "function_call",
        name: "spawn_agent",
        call_id: "call_1",
        arguments: JSON.stringify({ message }),
      },
      {
        type: "function_call_output",
        call_id: "call_1",
        output: JSON.stringify({ agent_id: childId, nickname }),
      },
      user(notification),
      user("Built-in reminder the program wrote"),
    ],
  };
  const request = (body: unknown, headers: Record<string, string>) => ({
    method: "POST",
    path: "/v1/responses",
    query: "",
    headers,
    body,
  });
  return {
    scenario: "subagent",
    roots: ROOTS,
    wallMs: [1],
    runs: [{
      argv: ["exec", "Ask a helper"],
      exit_code: 0,
      stdout: "",
      stderr: "",
      requests: [
        request({ input: [user(message)] }, { session_id: childId }),
        request(parent, {}),
      ],
    }],
    rollouts: [{
      name: `sessions/2026/11/24/rollout-2026-11-24T12-00-00-${childId}.jsonl`,
      lines: [{
        type: "session_meta",
        payload: {
          id: childId,
          source: { subagent: { thread_spawn: { agent_nickname: nickname } } },
          agent_nickname: nickname,
        },
      }],
    }],
    files: {},
  };
}

Deno.test("sub-agents: nicknames are numbered; delegated messages and notifications stay text", () => {
  const a = normaliseRecording(subAgentRaw("Zeno", "0199aaaa-0000-7000-8000-000000000001"));
  const b = normaliseRecording(subAgentRaw("Laplace", "0199bbbb-0000-7000-8000-000000000002"));
  assert.deepEqual(a, b, "a different nickname and agent id normalise alike");
  const [child, parent] = a.runs[0].requests as Array<{ body: { input: Json[] } }>;
  const text = (item: Json) => (item.content as Array<{ text: string }>)[0].text;
  assert.equal(text(child.body.input[0]), "Say hi from the child in <CWD>");
  assert.equal(
    JSON.parse(parent.body.input[1].arguments as string).message,
    "Say hi from the child in <CWD>",
  );
  assert.deepEqual(JSON.parse(parent.body.input[2].output as string), {
    agent_id: "<SESSION#1>",
    nickname: "<NICKNAME#1>",
  });
  assert.match(text(parent.body.input[3]), /^<subagent_notification>\n\{"agent_id":"<SESSION#1>"/);
  assert.match(text(parent.body.input[4]), /^<PROSE sha256/, "other program-written text is prose");
  const meta = a.rollouts[0].lines[0] as { payload: Json & { source: Json } };
  assert.equal(meta.payload.agent_nickname, "<NICKNAME#1>");
  assert.deepEqual(meta.payload.source, {
    subagent: { thread_spawn: { agent_nickname: "<NICKNAME#1>" } },
  });
});
