import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { countEvents, countFinishedTurns } from "./scenario_run.ts";
import { parseConformanceScenario } from "./conformance_scenario.ts";
import { runTty, type TtyProfile, TtyScript, type TtyWorld, typedTexts } from "./tty.ts";

// A tiny line-oriented program standing in for an agent: it logs what it is given, asks a
// question on `ask`, on `work` creates a file and works until interrupted (Ctrl-C), and leaves with
// exit code 7 on `/quit`.
const PROGRAM = `
env > "$OUT/env"
stty size > "$OUT/size"
trap 'echo interrupted >> "$OUT/log"; echo interrupted' INT
printf 'prompt> '
while IFS= read -r line; do
  case "$line" in
    /quit) exit 7 ;;
    work) touch started; sleep 30; printf 'prompt> ' ;;
    ask) printf 'Pick one:\\n  1. red\\n  2. blue\\nanswer> '
         IFS= read -r pick; echo "answer:$pick" >> "$OUT/log"; printf 'prompt> ' ;;
    *) echo "line:$line" >> "$OUT/log"; printf 'prompt> ' ;;
  esac
done
`;

const PROFILE: TtyProfile = {
  argv: [],
  ready: /^prompt>( |$)/m,
  question: /^answer>( |$)/m,
  answer: (n) => [{ text: String(n) }, { key: "Enter" }],
  interrupt: [{ key: "C-c" }],
  quit: [{ text: "/quit" }, { key: "Enter" }],
};

async function setup() {
  const dir = await Deno.makeTempDir({ prefix: "tty-test-" });
  await writeFile(join(dir, "program.sh"), PROGRAM);
  await writeFile(join(dir, "log"), "");
  const lines = async () => (await readFile(join(dir, "log"), "utf8")).split("\n").filter(Boolean);
  // By default no "requests", a "turn" is an answered question and an "aborted" one an interrupt.
  const world: TtyWorld = {
    requests: () => 0,
    turns: async () => (await lines()).filter((l) => l.startsWith("answer:")).length,
    aborted: async () => (await lines()).filter((l) => l === "interrupted").length,
  };
  const options = (timeoutMs = 20_000) => ({
    command: ["/bin/bash", join(dir, "program.sh")],
    cwd: dir,
    env: { PATH: "/usr/bin:/bin", TERM: "xterm", LANG: "C.UTF-8", OUT: dir },
    dir,
    timeoutMs,
    profile: PROFILE,
    world,
  });
  return { dir, lines, options, tmuxAlive: () => tmuxAlive(join(dir, "tmux.sock")) };
}

function tmuxAlive(socket: string): boolean {
  return spawnSync("tmux", ["-S", socket, "has-session"], { stdio: "ignore" }).status === 0;
}

Deno.test("runTty types text and keys, answers the question, quits, and reports the exit code", async () => {
  const t = await setup();
  const script = TtyScript.parse({
    steps: [
      { wait: "ready" },
      { text: "say hi" },
      { key: "Enter" },
      { wait_screen: "say hi\nprompt>" },
      { text: "ask" },
      { key: "Enter" },
      { answer: 2 },
      { wait_turns: 1 },
    ],
  });
  const exit = await runTty(script, t.options());
  assert.equal(exit.error, undefined, exit.screen);
  assert.equal(exit.code, 7);
  assert.deepEqual(await t.lines(), ["line:say hi", "answer:2"]);
  assert.match(exit.screen, /Pick one:/);
  assert.equal(t.tmuxAlive(), false, "the tmux server is gone afterwards");
});

Deno.test("runTty: wait_requests polls the world until the count is reached", async () => {
  const t = await setup();
  // "Requests" are the lines the program logged, as a poller sees them.
  let seen = 0;
  const world: TtyWorld = {
    requests: () => seen,
    turns: () => Promise.resolve(0),
    aborted: () => Promise.resolve(0),
  };
  const poll = setInterval(async () => (seen = (await t.lines()).length), 20);
  try {
    const exit = await runTty(
      TtyScript.parse({
        steps: [{ wait: "ready" }, { text: "one" }, { key: "Enter" }, { wait_requests: 1 }],
      }),
      { ...t.options(), world },
    );
    assert.equal(exit.code, 7, exit.screen);
    assert.deepEqual(await t.lines(), ["line:one"]);
  } finally {
    clearInterval(poll);
  }
});

Deno.test("runTty: wait_file waits for the work dir's file, interrupt sends its keys, wait_aborted sees it", async () => {
  const t = await setup();
  const exit = await runTty(
    TtyScript.parse({
      steps: [
        { wait: "ready" },
        { text: "work" },
        { key: "Enter" },
        { wait_file: "started" },
        { interrupt: true },
        { wait_aborted: 1 },
        { text: "after" },
        { key: "Enter" },
        { wait_screen: "after\nprompt>" },
      ],
    }),
    t.options(),
  );
  assert.equal(exit.error, undefined, exit.screen);
  assert.equal(exit.code, 7, exit.screen);
  assert.deepEqual(await t.lines(), ["interrupted", "line:after"]);
});

Deno.test("runTty: the program gets exactly the given environment, in a fixed-size terminal", async () => {
  const t = await setup();
  const exit = await runTty(
    TtyScript.parse({ steps: [{ wait: "ready" }] }),
    t.options(),
  );
  assert.equal(exit.code, 7, exit.screen);
  const env = (await readFile(join(t.dir, "env"), "utf8")).split("\n");
  assert.ok(env.includes("TERM=xterm"));
  assert.ok(env.includes(`OUT=${t.dir}`));
  assert.ok(!env.some((line) => line.startsWith("TMUX")), "nothing of tmux leaks in");
  assert.ok(!env.some((line) => line.startsWith("HOME=")), "nothing of the parent leaks in");
  assert.equal((await readFile(join(t.dir, "size"), "utf8")).trim(), "40 120");
});

Deno.test("runTty: a wait that never ends times out, names the step and ends the session", async () => {
  for (const wait of [{ wait_screen: "never shown" }, { wait_file: "started" }]) {
    const t = await setup();
    const exit = await runTty(
      TtyScript.parse({ steps: [{ wait: "ready" }, wait] }),
      t.options(1_500),
    );
    assert.equal(exit.code, null);
    assert.equal(exit.error, `step 2 ${JSON.stringify(wait)}: timed out`);
    assert.match(exit.screen, /prompt>/);
    assert.equal(t.tmuxAlive(), false);
  }
});

Deno.test("runTty: a program that ends early fails the step it was waiting in", async () => {
  const t = await setup();
  const exit = await runTty(
    TtyScript.parse({
      steps: [{ wait: "ready" }, { text: "/quit" }, { key: "Enter" }, { wait_turns: 1 }],
    }),
    t.options(),
  );
  assert.equal(exit.code, null);
  assert.match(exit.error ?? "", /step 4 .*the program ended \(exit 7\)/);
});

Deno.test("countFinishedTurns counts task_complete events across rollouts", () => {
  const done = { type: "event_msg", payload: { type: "task_complete", turn_id: "t" } };
  const started = { type: "event_msg", payload: { type: "task_started", turn_id: "t" } };
  assert.equal(
    countFinishedTurns([
      { name: "a", lines: [started, done, "not json", null] },
      { name: "b", lines: [started, done] },
    ]),
    2,
  );
  const aborted = { type: "event_msg", payload: { type: "turn_aborted", turn_id: "t" } };
  assert.equal(
    countEvents([{ name: "a", lines: [started, aborted, done, aborted] }], "turn_aborted"),
    2,
  );
});

Deno.test("tty runs in scenarios: argv may be empty, typed texts are known, steps are checked", () => {
  const base = {
    name: "demo",
    description: "d",
    responses: [{ output: [{ type: "message", text: "x" }] }],
  };
  const scenario = parseConformanceScenario({
    ...base,
    runs: [{ argv: [], tty: { steps: [{ wait: "ready" }, { text: "hi" }, { key: "Enter" }] } }],
  }, "<inline>");
  assert.deepEqual(typedTexts(scenario.runs[0].tty!), ["hi"]);
  assert.throws(
    () => parseConformanceScenario({ ...base, runs: [{ argv: [] }] }, "<inline>"),
    /a run without tty needs argv/,
  );
  assert.throws(
    () =>
      parseConformanceScenario({
        ...base,
        runs: [{ argv: [], tty: { steps: [{ key: "Enter; rm" }] } }],
      }, "<inline>"),
    /invalid conformance scenario/,
  );
});
