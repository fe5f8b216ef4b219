// `exec review` through a real subprocess against the fake server, in a real git repository with
// an uncommitted change: the review thread's request, the two rollouts, the log and the events,
// and the usage errors.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, realpath, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REVIEW_EMPTY_RESULT, REVIEW_INSTRUCTIONS, reviewRequestText } from "../agent/mod.ts";
import { FakeResponsesServer, parseScenario, type RecordedRequest } from "../fake/mod.ts";
import { runCli } from "./cli_testing.ts";
import { parseReviewOutput, renderReviewOutput, REVIEW_TOOLS } from "./review.ts";

interface Body {
  instructions: string;
  tools: Array<{ name: string }>;
  input: Array<{ type: string; role?: string; content?: Array<{ text?: string }> }>;
  text?: unknown;
}

const FINDING = {
  title: "[P1] add subtracts",
  body: "add returns a - b.",
  confidence_score: 0.9,
  priority: 1,
  code_location: { absolute_file_path: "/w/app.py", line_range: { start: 2, end: 2 } },
};
const REVIEW_JSON = JSON.stringify({
  findings: [FINDING],
  overall_correctness: "patch is incorrect",
  overall_explanation: "add is broken.",
  overall_confidence_score: 0.8,
});

/** A git repository with one commit and an uncommitted change, set up for the fake server. */
async function workspace(server: FakeResponsesServer): Promise<string> {
  const work = await realpath(await mkdtemp(join(tmpdir(), "tscodex-review-")));
  const repo = join(work, "repo");
  await mkdir(repo);
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], { cwd: repo })
      .toString().trim();
  await writeFile(join(repo, "app.py"), "def add(a, b):\n    return a + b\n");
  git("-c", "init.defaultBranch=main", "init", "-q");
  git("add", "-A");
  git("commit", "-q", "-m", "init");
  await writeFile(join(repo, "app.py"), "def add(a, b):\n    return a - b\n");
  await writeFile(
    join(work, "config.toml"),
    `model = "gpt-5.1-codex"\nmodel_provider = "local"\n[model_providers.local]\nname = "local"\n` +
      `base_url = "${server.baseUrl}"\n`,
  );
  return repo;
}

function review(repo: string, args: string[]) {
  const home = join(repo, "..");
  return runCli(["exec", ...args], { cwd: repo, env: { HOME: home, CODEX_HOME: home } });
}

// deno-lint-ignore no-explicit-any
type RolloutLine = { type: string; payload: any };

async function rollouts(repo: string): Promise<RolloutLine[][]> {
  const root = join(repo, "..", "sessions");
  const files = (await readdir(root, { recursive: true })).filter((f) => f.endsWith(".jsonl"));
  return await Promise.all(
    files.sort().map(async (f) =>
      (await readFile(join(root, f), "utf8")).trim().split("\n").map((l) => JSON.parse(l))
    ),
  );
}

const lastUserText = (request: RecordedRequest) =>
  (request.body as Body).input.filter((i) => i.role === "user").at(-1)?.content?.[0]?.text;

Deno.test("exec review --uncommitted: a review thread of its own, findings in the log", async () => {
  const server = new FakeResponsesServer(parseScenario({
    responses: [
      {
        output: [{
          type: "function_call",
          call_id: "c1",
          name: "exec_command",
          arguments: { cmd: "git diff" },
        }],
      },
      { output: [{ type: "message", text: REVIEW_JSON }] },
    ],
  }));
  await server.start();
  try {
    const repo = await workspace(server);
    const result = await review(repo, ["review", "--uncommitted"]);
    assert.equal(result.code, 0, result.stderr);
    // As upstream's: the result is in the log, not on stdout.
    assert.equal(result.stdout, "");
    assert.match(result.stderr, /^user\ncurrent changes$/m);
    assert.match(result.stderr, /git diff/);
    assert.match(result.stderr, /Review comment:\n\n- \[P1\] add subtracts — \/w\/app.py:2-2/);
    assert.equal(server.requests.length, 2);
    for (const request of server.requests) {
      const body = request.body as Body;
      assert.equal(body.instructions, REVIEW_INSTRUCTIONS);
      assert.deepEqual(body.tools.map((t) => t.name), [...REVIEW_TOOLS]);
      assert.equal(body.text, undefined);
      assert.equal(request.headers["x-openai-subagent"], "review");
      assert.deepEqual(body.input.map((i) => i.role ?? i.type).slice(0, 4), [
        "developer",
        "user",
        "user",
        ...(request.index === 0 ? [] : ["function_call"]),
      ]);
    }
    assert.equal(lastUserText(server.requests[0]), reviewRequestText({ kind: "uncommitted" }));

    const all = await rollouts(repo);
    const main = all.find((r) => r[0].payload.source === "exec")!;
    const reviewer = all.find((r) => r[0].payload.source !== "exec")!;
    assert.equal(all.length, 2);
    assert.equal(main[0].payload.source, "exec");
    assert.deepEqual(reviewer[0].payload.source, { subagent: "review" });
    assert.equal(reviewer[0].payload.base_instructions.text, REVIEW_INSTRUCTIONS);
    assert.equal(server.requests[0].headers.session_id, reviewer[0].payload.id);
    const events = main.filter((l) => l.type === "event_msg").map((l) => l.payload.type);
    assert.deepEqual(events, [
      "entered_review_mode",
      "task_started",
      "user_message",
      "user_message",
      "exited_review_mode",
      "agent_message",
      "task_complete",
    ]);
    const exited = main.find((l) => l.payload.type === "exited_review_mode")!;
    assert.deepEqual(exited.payload.review_output.findings, [FINDING]);
    assert.equal(
      main.find((l) => l.payload.type === "task_complete")!.payload.last_agent_message,
      null,
    );
  } finally {
    await server.close();
  }
});

Deno.test("exec --json review: the main thread's id, one agent message, usage left at zero", async () => {
  const server = new FakeResponsesServer(parseScenario({
    responses: [{ output: [{ type: "message", text: "Looks fine." }] }],
  }));
  await server.start();
  try {
    const repo = await workspace(server);
    const result = await review(repo, ["--json", "review", "Check add only"]);
    assert.equal(result.code, 0, result.stderr);
    const events = result.stdout.trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(events.map((e) => e.type), [
      "thread.started",
      "turn.started",
      "item.completed",
      "turn.completed",
    ]);
    assert.deepEqual(events[2].item, { id: "item_0", type: "agent_message", text: "Looks fine." });
    assert.deepEqual(events[3].usage, {
      input_tokens: 0,
      cached_input_tokens: 0,
      output_tokens: 0,
    });
    // Custom instructions are the review thread's message as they were typed.
    assert.equal(lastUserText(server.requests[0]), "Check add only");
    const main = (await rollouts(repo)).find((r) => r[0].payload.source === "exec")!;
    assert.equal(events[0].thread_id, main[0].payload.id);
    assert.notEqual(server.requests[0].headers.session_id, events[0].thread_id);
  } finally {
    await server.close();
  }
});

Deno.test("exec review --base and --commit name what to diff against", async () => {
  const server = new FakeResponsesServer(parseScenario({
    after_last: "repeat_last",
    responses: [{ output: [{ type: "message", text: "ok" }] }],
  }));
  await server.start();
  try {
    const repo = await workspace(server);
    const head = execFileSync("git", ["rev-parse", "HEAD"], { cwd: repo }).toString().trim();
    const base = await review(repo, ["review", "--base", "main"]);
    assert.equal(base.code, 0, base.stderr);
    assert.match(base.stderr, /^changes against 'main'$/m);
    assert.equal(
      lastUserText(server.requests[0]),
      reviewRequestText({ kind: "base", branch: "main", mergeBase: head }),
    );
    assert.match(lastUserText(server.requests[0])!, new RegExp(`git diff ${head}`));
    const commit = await review(repo, ["review", "--commit", "HEAD", "--title", "init"]);
    assert.equal(commit.code, 0, commit.stderr);
    assert.match(commit.stderr, /^commit HEAD: init$/m);
    assert.equal(
      lastUserText(server.requests[1]),
      reviewRequestText({ kind: "commit", sha: "HEAD", title: "init" }),
    );
  } finally {
    await server.close();
  }
});

Deno.test("exec review: bad targets are usage errors (exit 2) and send nothing", async () => {
  const server = new FakeResponsesServer(parseScenario({
    responses: [{ output: [{ type: "message", text: "never sent" }] }],
  }));
  await server.start();
  try {
    const repo = await workspace(server);
    const cases: Array<[string[], RegExp]> = [
      [["--base", "nope"], /--base nope: no such branch/],
      [["--commit", "deadbeef"], /--commit deadbeef: no such commit/],
      [["--uncommitted", "--base", "main"], /cannot be used with option '--base/],
      [["--title", "t"], /--title .* --commit/],
      [[], /--uncommitted, --base BRANCH, --commit SHA/],
    ];
    for (const [args, message] of cases) {
      const result = await review(repo, ["review", ...args]);
      assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, message);
      assert.equal(result.stdout, "");
    }
    assert.equal(server.requests.length, 0);
  } finally {
    await server.close();
  }
});

Deno.test("a reviewer's answer: JSON, JSON inside text, or plain text", () => {
  const fenced = parseReviewOutput("Here it is:\n```json\n" + REVIEW_JSON + "\n```");
  assert.deepEqual(fenced.findings, [FINDING]);
  assert.equal(
    renderReviewOutput(fenced),
    "add is broken.\n\nReview comment:\n\n- [P1] add subtracts — /w/app.py:2-2\n  add returns a - b.",
  );
  const plain = parseReviewOutput("All good {mostly}.");
  assert.deepEqual(plain, {
    findings: [],
    overall_correctness: "",
    overall_explanation: "All good {mostly}.",
    overall_confidence_score: 0,
  });
  const two = renderReviewOutput({ ...fenced, findings: [FINDING, FINDING] });
  assert.match(two, /^add is broken\.\n\nFull review comments:\n\n- .*\n {2}.*\n\n- /);
  assert.equal(renderReviewOutput(parseReviewOutput("  ")), REVIEW_EMPTY_RESULT);
});
