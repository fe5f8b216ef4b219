// Approval policies as the model meets them: real commands through exec_command and
// shell_command, with a scripted user answering (or nobody to ask).
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  type ApprovalDecision,
  type ApprovalRequest,
  CommandApprovals,
  escalationRefusal,
  isKnownSafeCommand,
  looksDeniedBySandbox,
  splitSimpleCommands,
} from "./approvals.ts";
import { applyPatchFunctionTool } from "./apply_patch.ts";
import { callTool, sandboxMissing } from "./command_testing.ts";
import { execCommandTools } from "./exec_command.ts";
import { ProcessManager } from "./processes.ts";
import type { SandboxPolicy } from "./sandbox.ts";
import { shellTools } from "./shell.ts";
import type { ApprovalPolicy } from "../config/mod.ts";

const NO_BWRAP = sandboxMissing("the approval tests that need a bubblewrap sandbox");
const READ_ONLY: SandboxPolicy = { mode: "read-only" };

/** A user who gives the scripted answers in order, and the requests they were shown. */
function scriptedUser(...answers: ApprovalDecision[]) {
  const asked: ApprovalRequest[] = [];
  return {
    asked,
    handler: (request: ApprovalRequest) => {
      asked.push(request);
      return Promise.resolve(answers.shift() ?? "denied");
    },
  };
}

interface Bench {
  dir: string;
  call(name: string, args: Record<string, unknown>): Promise<string>;
}

async function withApprovals(
  policy: ApprovalPolicy,
  handler: CommandApprovals["handler"],
  fn: (bench: Bench) => Promise<void>,
  sandbox: SandboxPolicy = READ_ONLY,
): Promise<void> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "tscodex-approvals-" }));
  const processes = new ProcessManager({ env: { HOME: dir } });
  const tools = [
    ...execCommandTools(processes),
    ...shellTools(processes),
    applyPatchFunctionTool(),
  ];
  const approvals = new CommandApprovals(policy, handler);
  try {
    await fn({
      dir,
      call: (name, args) => callTool(tools, name, args, { cwd: dir, sandbox, approvals }),
    });
  } finally {
    processes.killAll();
    await Deno.remove(dir, { recursive: true });
  }
}

const ESCALATED = { sandbox_permissions: "require_escalated", justification: "May I touch x?" };

Deno.test("never: an escalation is refused with upstream's words and nothing runs", async () => {
  const user = scriptedUser("approved");
  for (const policy of ["never", "on-failure", "untrusted"] as const) {
    await withApprovals(policy, user.handler, async ({ dir, call }) => {
      assert.equal(
        await call("exec_command", { cmd: "touch x", ...ESCALATED }),
        escalationRefusal(policy, "cannot"),
      );
      assert.equal(
        await call("shell_command", { command: "touch x", ...ESCALATED }),
        escalationRefusal(policy, "should not"),
      );
      assert.equal(existsSync(join(dir, "x")), false);
    });
  }
  assert.equal(
    escalationRefusal("never", "cannot"),
    "approval policy is Never; reject command — you cannot ask for escalated permissions if " +
      "the approval policy is Never",
  );
  assert.deepEqual(user.asked, [], "nobody is asked when the policy refuses");
});

Deno.test("on-request: an approved escalation runs outside the sandbox", async () => {
  const user = scriptedUser("approved");
  await withApprovals("on-request", user.handler, async ({ dir, call }) => {
    const reply = await call("exec_command", { cmd: "touch x && echo made", ...ESCALATED });
    assert.match(reply, /Process exited with code 0\n[^]*Output:\nmade\n$/);
    assert.equal(existsSync(join(dir, "x")), true);
    assert.equal(user.asked.length, 1);
    assert.equal(user.asked[0].reason, "escalation");
    assert.equal(user.asked[0].justification, "May I touch x?");
    assert.equal(user.asked[0].cwd, dir);
    assert.match(user.asked[0].command.at(-1)!, /touch x && echo made/);
  });
});

Deno.test("on-request: a refused escalation is reported as upstream's user rejection", async () => {
  const user = scriptedUser("denied", "denied");
  await withApprovals("on-request", user.handler, async ({ dir, call }) => {
    const exec = await call("exec_command", { cmd: "touch x", ...ESCALATED });
    assert.match(
      exec,
      /^exec_command failed for `[^`]+`: CreateProcess \{ message: "Rejected\(\\"rejected by user\\"\)" \}$/,
    );
    assert.equal(
      await call("shell_command", { command: "touch x", ...ESCALATED }),
      "rejected by user",
    );
    assert.equal(existsSync(join(dir, "x")), false);
  });
  // With nobody to ask, the answer is no.
  await withApprovals("on-request", undefined, async ({ call }) => {
    assert.equal(
      await call("shell_command", { command: "true", ...ESCALATED }),
      "rejected by user",
    );
  });
});

Deno.test("approved for the session: the same command is not asked about again", async () => {
  const user = scriptedUser("approved_for_session");
  await withApprovals("on-request", user.handler, async ({ call }) => {
    for (let i = 0; i < 2; i++) {
      assert.match(await call("shell_command", { command: "echo hi", ...ESCALATED }), /\nhi\n$/);
    }
    assert.match(
      await call("shell_command", { command: "echo other", ...ESCALATED }),
      /^rejected by user$/,
    );
    assert.equal(user.asked.length, 2);
  });
});

Deno.test("calls running in parallel ask one question at a time, and a session approval counts for the next", async () => {
  let open = 0;
  let most = 0;
  const shown: string[] = [];
  const handler = async (request: ApprovalRequest): Promise<ApprovalDecision> => {
    most = Math.max(most, ++open);
    shown.push(request.command.join(" "));
    // The user takes a moment to answer; a second question must not appear meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 5));
    open--;
    return "approved_for_session";
  };
  const approvals = new CommandApprovals("on-request", handler);
  const request = (cmd: string): ApprovalRequest => ({
    callId: cmd,
    command: [cmd],
    cwd: "/",
    reason: "escalation",
  });
  const signal = new AbortController().signal;
  const answers = await Promise.all(
    ["a", "a", "b"].map((cmd) => approvals.ask(request(cmd), signal)),
  );
  assert.deepEqual(answers, [true, true, true]);
  assert.equal(most, 1);
  assert.deepEqual(shown, ["a", "b"]);
});

Deno.test({
  name: "untrusted: known read-only commands run unasked, others wait for the user",
  ignore: NO_BWRAP,
  fn: async () => {
    const user = scriptedUser("denied", "approved");
    await withApprovals("untrusted", user.handler, async ({ dir, call }) => {
      assert.match(await call("shell_command", { command: "ls -a && pwd" }), /^Exit code: 0\n/);
      assert.equal(user.asked.length, 0);
      assert.equal(await call("shell_command", { command: "echo x > f" }), "rejected by user");
      assert.equal(user.asked[0].reason, "untrusted");
      // Approved, it still runs in the sandbox.
      const approved = await call("shell_command", {
        command: "exec 2>&1; echo x > f; echo rc=$?",
      });
      assert.match(approved, /Read-only file system\nrc=1\n$/);
      assert.equal(existsSync(join(dir, "f")), false);
    });
  },
});

Deno.test({
  name: "on-failure: a command the sandbox stopped is rerun outside it once the user agrees",
  ignore: NO_BWRAP,
  fn: async () => {
    const user = scriptedUser("approved", "denied");
    await withApprovals("on-failure", user.handler, async ({ dir, call }) => {
      const rerun = await call("exec_command", { cmd: "touch x && echo made" });
      assert.match(rerun, /Process exited with code 0\n[^]*Output:\nmade\n$/);
      assert.equal(existsSync(join(dir, "x")), true);
      assert.equal(user.asked[0].reason, "sandbox_denied");
      assert.equal(await call("shell_command", { command: "touch y" }), "rejected by user");
      assert.equal(existsSync(join(dir, "y")), false);
      // A failure that does not look like the sandbox's is just reported.
      assert.match(await call("shell_command", { command: "exit 3" }), /^Exit code: 3\n/);
      assert.equal(user.asked.length, 2);
    });
  },
});

Deno.test({
  name: "on-request: the sandbox's denial is reported, not retried",
  ignore: NO_BWRAP,
  fn: async () => {
    const user = scriptedUser("approved");
    await withApprovals("on-request", user.handler, async ({ call }) => {
      assert.match(await call("exec_command", { cmd: "touch x" }), /: SandboxDenied \{ message: /);
      assert.deepEqual(user.asked, []);
    });
  },
});

Deno.test("known-safe commands: plain reads, also chained in a shell script", () => {
  const safe = [
    ["ls", "-la"],
    ["/bin/bash", "-lc", "ls && cat README.md | head -n 5"],
    ["bash", "-c", "git status; git log --oneline -3"],
    ["sh", "-c", "grep -rn 'a b' src || echo none"],
    ["bash", "-lc", "find . -name '*.ts'"],
    ["bash", "-lc", "sed -n 1,20p file.txt"],
    ["bash", "-lc", 'rg "x y" src'],
  ];
  const unsafe = [
    ["touch", "x"],
    ["bash", "-lc", "echo x > f"],
    ["bash", "-lc", "cat $(which ls)"],
    ["bash", "-lc", "find . -delete"],
    ["bash", "-lc", "rg --pre ./run x"],
    ["bash", "-lc", "git branch new"],
    ["bash", "-lc", "sed -i s/a/b/ f"],
    ["bash", "-lc", "ls & rm -rf x"],
    ["bash", "-lc", "ls; ./cat"],
    ["bash", "-lc", "echo 'unterminated"],
    ["python3", "-c", "print(1)"],
    [],
  ];
  for (const argv of safe) assert.equal(isKnownSafeCommand(argv), true, argv.join(" "));
  for (const argv of unsafe) assert.equal(isKnownSafeCommand(argv), false, argv.join(" "));
  assert.deepEqual(splitSimpleCommands(`grep "a b" f && echo it\\'s || ls`), [
    ["grep", "a b", "f"],
    ["echo", "it's"],
    ["ls"],
  ]);
  assert.equal(splitSimpleCommands("ls &&"), undefined);
});

Deno.test("a failure looks like the sandbox's by its words, never with exit code 0", () => {
  const cases: Array<[number, string, boolean]> = [
    [1, "touch: cannot touch 'x': Read-only file system\n", true],
    [1, "bash: socket: Operation not permitted", true],
    [6, "curl: (6) Could not resolve host: example.com", true],
    [0, "Read-only file system", false],
    [1, "error: tests failed", false],
    [127, "bash: nope: command not found", false],
  ];
  for (const [code, output, denied] of cases) {
    assert.equal(looksDeniedBySandbox(code, output), denied, output);
  }
});

Deno.test("untrusted: a patch waits for the user, as upstream asks for every patch under it", async () => {
  const patch = "*** Begin Patch\n*** Add File: asked.txt\n+x\n*** End Patch\n";
  const user = scriptedUser("denied", "approved");
  await withApprovals("untrusted", user.handler, async ({ dir, call }) => {
    assert.match(await call("apply_patch", { input: patch }), /patch rejected by user/);
    assert.equal(existsSync(join(dir, "asked.txt")), false, "nothing written when refused");
    assert.match(
      await call("apply_patch", { input: patch }),
      /Success\. Updated the following files/,
    );
    assert.equal(existsSync(join(dir, "asked.txt")), true);
    assert.deepEqual(user.asked.map((r) => [r.reason, r.patch, r.cwd]), [
      ["patch", patch, dir],
      ["patch", patch, dir],
    ]);
  }, { mode: "workspace-write" });
  // Nobody to ask is a no; on-request applies a patch inside the workspace without asking.
  await withApprovals("untrusted", undefined, async ({ dir, call }) => {
    assert.match(await call("apply_patch", { input: patch }), /patch rejected by user/);
    assert.equal(existsSync(join(dir, "asked.txt")), false);
  }, { mode: "workspace-write" });
  const unasked = scriptedUser();
  await withApprovals("on-request", unasked.handler, async ({ dir, call }) => {
    assert.match(await call("apply_patch", { input: patch }), /Success/);
    assert.equal(existsSync(join(dir, "asked.txt")), true);
  }, { mode: "workspace-write" });
  assert.deepEqual(unasked.asked, []);
});
