// The sandbox as the model meets it: real commands through the real exec_command, shell_command
// and apply_patch tools, inside real bubblewrap sandboxes, against real temp directories.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { applyPatchFunctionTool } from "./apply_patch.ts";
import { type CallOptions, callTool, sandboxMissing, sessionIdOf } from "./command_testing.ts";
import { makeFifo, watchFifo, within } from "../testing/mod.ts";
import { execCommandTools } from "./exec_command.ts";
import { ProcessManager, resolveShell } from "./processes.ts";
import {
  bwrapArgs,
  canWrite,
  sandboxedArgv,
  type SandboxPolicy,
  sandboxSupport,
  SandboxUnavailableError,
  writableRoots,
} from "./sandbox.ts";
import { shellTools } from "./shell.ts";

const NO_BWRAP = sandboxMissing("the tests that run commands in a bubblewrap sandbox");

const READ_ONLY: SandboxPolicy = { mode: "read-only" };
/** workspace-write with only the workspace writable, so a sibling temp dir is "outside". */
const WORKSPACE_ONLY: SandboxPolicy = {
  mode: "workspace-write",
  excludeSlashTmp: true,
  excludeTmpdirEnvVar: true,
};
const FULL_ACCESS: SandboxPolicy = { mode: "danger-full-access" };

interface Workspace {
  /** The turn directory, with a `.git/config` and a `.codex` to protect. */
  dir: string;
  /** A directory outside the workspace (and outside every writable root of WORKSPACE_ONLY). */
  outside: string;
  processes: ProcessManager;
  call(
    name: string,
    args: Record<string, unknown>,
    ctx?: Omit<CallOptions, "cwd">,
  ): Promise<string>;
}

async function withWorkspace(fn: (w: Workspace) => Promise<void>): Promise<void> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "tscodex-sandbox-ws-" }));
  const outside = await Deno.realPath(await Deno.makeTempDir({ prefix: "tscodex-sandbox-out-" }));
  mkdirSync(join(dir, ".git"));
  writeFileSync(join(dir, ".git", "config"), "[core]\n");
  mkdirSync(join(dir, ".codex"));
  const processes = new ProcessManager({ env: { HOME: dir } });
  const tools = [
    ...execCommandTools(processes),
    ...shellTools(processes),
    applyPatchFunctionTool(),
  ];
  try {
    await fn({
      dir,
      outside,
      processes,
      call: (name, args, ctx = {}) => callTool(tools, name, args, { cwd: dir, ...ctx }),
    });
  } finally {
    processes.killAll();
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(outside, { recursive: true });
  }
}

/** exec_command's reply: exit code (undefined while running) and output. */
function execReply(reply: string): { exitCode?: number; output: string } {
  const match = /\n(?:Process exited with code (-?\d+)|Process running[^\n]*)\n[^]*?\nOutput:\n/
    .exec(reply);
  assert.ok(match, `not an exec reply:\n${reply}`);
  return {
    exitCode: match[1] === undefined ? undefined : Number(match[1]),
    output: reply.slice(match.index + match[0].length),
  };
}

/** Runs `cmd` through exec_command (no login profile) in `sandbox`; its exit code and output. */
/** Commands whose lines must come in order start with `exec 2>&1`: the tool reads stdout and stderr
 * from two pipes, so a shell error and the next echo can arrive either way round. */
async function run(w: Workspace, cmd: string, sandbox: SandboxPolicy) {
  return execReply(await w.call("exec_command", { cmd, login: false }, { sandbox }));
}

function sandboxTest(name: string, fn: () => Promise<void>): void {
  Deno.test({ name, ignore: NO_BWRAP, fn });
}

sandboxTest(
  "read-only: reading works anywhere, writing fails even in the workspace",
  () =>
    withWorkspace(async (w) => {
      const hostname = readFileSync("/etc/hostname", "utf8");
      assert.deepEqual(await run(w, "cat /etc/hostname", READ_ONLY), {
        exitCode: 0,
        output: hostname,
      });
      const touched = await run(w, "exec 2>&1; touch x; echo rc=$?", READ_ONLY);
      assert.equal(touched.exitCode, 0);
      assert.match(touched.output, /touch: cannot touch 'x': Read-only file system\nrc=1\n/);
      assert.equal(existsSync(join(w.dir, "x")), false);
      const elsewhere = await run(w, `exec 2>&1; echo no > ${w.outside}/y; echo rc=$?`, READ_ONLY);
      assert.match(elsewhere.output, /Read-only file system\nrc=1\n/);
      assert.equal(existsSync(join(w.outside, "y")), false);
    }),
);

sandboxTest(
  "read-only: a command stopped by the sandbox gets upstream's Denied reply",
  () =>
    withWorkspace(async (w) => {
      const reply = await w.call("exec_command", { cmd: "touch x", login: false }, {
        sandbox: READ_ONLY,
      });
      // As upstream 0.115.0 answered `touch x` in its read-only sandbox (pipes and terminals).
      const denied = "touch: cannot touch 'x': Read-only file system\\n";
      const stream = (text: string) =>
        `StreamOutput { text: "${text}", truncated_after_lines: None }`;
      const expected = `exec_command failed for \`${resolveShell()} -c 'touch x'\`: ` +
        `SandboxDenied { message: "${denied}", output: ExecToolCallOutput { exit_code: 1, ` +
        `stdout: ${stream("")}, stderr: ${stream(denied)}, aggregated_output: ${stream(denied)}, ` +
        "duration: 0ns, timed_out: false } }";
      assert.equal(reply, expected);
      // The one-shot shell tools show a denial as the plain result, as upstream's do.
      const shell = await w.call("shell_command", { command: "touch x", login: false }, {
        sandbox: READ_ONLY,
      });
      assert.match(
        shell,
        /^Exit code: 1\n[^]*Output:\ntouch: cannot touch 'x': Read-only file system/,
      );
    }),
);

sandboxTest(
  "read-only: $TMPDIR is a private scratch directory that is writable",
  () =>
    withWorkspace(async (w) => {
      const scratch = await run(
        w,
        'f=$(mktemp) && echo kept > "$f" && cat "$f" && echo "$TMPDIR"',
        READ_ONLY,
      );
      assert.equal(scratch.exitCode, 0, scratch.output);
      const [kept, tmp] = scratch.output.trim().split("\n");
      assert.equal(kept, "kept");
      assert.match(tmp, /tscodex-scratch-/);
      // The same directory for the next command, so files can be handed from one to the next.
      assert.equal((await run(w, 'echo "$TMPDIR"', READ_ONLY)).output.trim(), tmp);
      // It goes with the session's processes.
      w.processes.killAll();
      assert.equal(existsSync(tmp), false);
    }),
);

/** A loopback listener that records whether anyone connected. */
async function listener(): Promise<{ port: number; connected: () => boolean; server: Server }> {
  let connected = false;
  const server = createServer((socket) => {
    connected = true;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return { port, connected: () => connected, server };
}

sandboxTest(
  "the network is cut off unless workspace-write allows it",
  () =>
    withWorkspace(async (w) => {
      const { port, connected, server } = await listener();
      try {
        const connect = `exec 3<>/dev/tcp/127.0.0.1/${port} && echo connected`;
        for (const sandbox of [READ_ONLY, WORKSPACE_ONLY]) {
          const blocked = await run(w, connect, sandbox);
          assert.notEqual(blocked.exitCode, 0, blocked.output);
          assert.doesNotMatch(blocked.output, /connected/);
        }
        assert.equal(connected(), false);
        const allowed = await run(w, connect, { ...WORKSPACE_ONLY, networkAccess: true });
        assert.deepEqual(allowed, { exitCode: 0, output: "connected\n" });
        assert.equal(connected(), true);
      } finally {
        server.close();
      }
    }),
);

sandboxTest(
  "workspace-write: the workspace is writable, outside and .git/.codex are not",
  () =>
    withWorkspace(async (w) => {
      assert.deepEqual(await run(w, "echo in > inside.txt && cat inside.txt", WORKSPACE_ONLY), {
        exitCode: 0,
        output: "in\n",
      });
      for (
        const target of [`${w.outside}/out.txt`, ".git/config", ".git/hooks-new", ".codex/x"]
      ) {
        const write = await run(w, `exec 2>&1; echo x >> ${target}; echo rc=$?`, WORKSPACE_ONLY);
        assert.match(write.output, /Read-only file system\nrc=1\n$/, target);
      }
      assert.equal(existsSync(join(w.outside, "out.txt")), false);
      assert.equal(readFileSync(join(w.dir, ".git", "config"), "utf8"), "[core]\n");
      // By default /tmp is a writable root too (the outside dir lives under it).
      const tmp = await run(w, `echo t > ${w.outside}/t.txt`, { mode: "workspace-write" });
      assert.equal(tmp.exitCode, 0, tmp.output);
      assert.equal(readFileSync(join(w.outside, "t.txt"), "utf8"), "t\n");
    }),
);

sandboxTest(
  "workspace-write: no command tool's workdir widens the sandbox; .agents stays read-only",
  () =>
    withWorkspace(async (w) => {
      mkdirSync(join(w.dir, ".agents"));
      const calls: Array<[string, Record<string, unknown>]> = [
        ["exec_command", { cmd: "touch a; touch .agents/x", workdir: w.outside, login: false }],
        ["exec_command", { cmd: "touch b", workdir: w.outside, tty: true, login: false }],
        ["shell_command", { command: "touch c", workdir: w.outside, login: false }],
        ["shell", { command: ["touch", "d"], workdir: w.outside }],
        ["shell", { command: ["touch", `${w.dir}/.git/e`], workdir: "/" }],
      ];
      for (const [tool, args] of calls) {
        const reply = await w.call(tool, args, { sandbox: WORKSPACE_ONLY });
        assert.match(reply, /Read-only file system/, `${tool} ${JSON.stringify(args)}`);
      }
      assert.deepEqual(readdirSync(w.outside), []);
      assert.deepEqual(readdirSync(join(w.dir, ".agents")), []);
      assert.deepEqual(readdirSync(join(w.dir, ".git")), ["config"]);
    }),
);

sandboxTest(
  "workspace-write: configured writable roots are writable",
  () =>
    withWorkspace(async (w) => {
      const extra = await run(w, `echo e > ${w.outside}/e.txt`, {
        ...WORKSPACE_ONLY,
        writableRoots: [w.outside],
      });
      assert.equal(extra.exitCode, 0, extra.output);
      assert.equal(readFileSync(join(w.outside, "e.txt"), "utf8"), "e\n");
    }),
);

Deno.test("danger-full-access runs commands as they are and writes anywhere", () =>
  withWorkspace(async (w) => {
    const reply = await run(w, `echo d > ${w.outside}/d.txt && echo ok`, FULL_ACCESS);
    assert.deepEqual(reply, { exitCode: 0, output: "ok\n" });
    assert.equal(readFileSync(join(w.outside, "d.txt"), "utf8"), "d\n");
    assert.deepEqual(sandboxedArgv(["true"], { policy: FULL_ACCESS, workspace: w.dir }, w.dir), [
      "true",
    ]);
  }));

/** apply_patch's reply to adding `path`. */
function addFile(w: Workspace, path: string, sandbox: SandboxPolicy): Promise<string> {
  const input = `*** Begin Patch\n*** Add File: ${path}\n+hi\n*** End Patch\n`;
  return w.call("apply_patch", { input }, { sandbox });
}

const PATCH_REJECTED =
  "patch rejected: writing outside of the project; rejected by user approval settings";

Deno.test("apply_patch follows the same rules: workspace only, .git kept, nothing in read-only", () =>
  withWorkspace(async (w) => {
    symlinkSync(w.outside, join(w.dir, "link-out"));
    assert.match(await addFile(w, "ok.txt", WORKSPACE_ONLY), /^Exit code: 0\n/);
    for (const path of [`${w.outside}/p.txt`, "link-out/p.txt", ".git/hooks/p", ".codex/p"]) {
      assert.equal(await addFile(w, path, WORKSPACE_ONLY), PATCH_REJECTED, path);
    }
    assert.equal(await addFile(w, "ro.txt", READ_ONLY), PATCH_REJECTED);
    assert.equal(existsSync(join(w.dir, "ro.txt")), false);
    assert.equal(existsSync(join(w.outside, "p.txt")), false);
    assert.match(await addFile(w, `${w.outside}/full.txt`, FULL_ACCESS), /^Exit code: 0\n/);
    assert.equal(readFileSync(join(w.outside, "full.txt"), "utf8"), "hi\n");
  }));

sandboxTest(
  "tty: true inside the sandbox is still a real terminal that write_stdin types into",
  () =>
    withWorkspace(async (w) => {
      // The command opens the FIFO once it has printed, so the typing comes after that.
      const printed = watchFifo(makeFifo(w.dir));
      const first = await w.call("exec_command", {
        cmd: "tty; test -t 0 && echo isatty; : > fifo; read line; echo got:$line",
        tty: true,
        login: false,
        yield_time_ms: 250,
      }, { sandbox: READ_ONLY });
      const opened = execReply(first);
      assert.equal(opened.exitCode, undefined, first);
      await within(printed.closed, "the command to print");
      const typed = execReply(
        await w.call("write_stdin", { session_id: sessionIdOf(first), chars: "hello\n" }),
      );
      assert.equal(typed.exitCode, 0);
      // How much the first reply caught depends on how soon the sandbox started.
      assert.match(
        opened.output + typed.output,
        /^\/dev\/pts\/\d+\r\nisatty\r\nhello\r\ngot:hello\r\n$/,
      );
    }),
);

/** A command whose child escapes its process group (setsid) and holds `fifo` while it lives. */
const ESCAPING_CHILD = (fifo: string) => `setsid sleep 600 3>${fifo} & wait`;

for (const tty of [false, true]) {
  sandboxTest(
    `an interrupt kills the whole sandbox, setsid children too (tty: ${tty})`,
    () =>
      withWorkspace(async (w) => {
        const fifo = makeFifo(w.dir);
        const child = watchFifo(fifo);
        const interrupt = new AbortController();
        const reply = w.call("exec_command", { cmd: ESCAPING_CHILD(fifo), tty, login: false }, {
          sandbox: READ_ONLY,
          signal: interrupt.signal,
        });
        await within(child.opened, "the sandboxed command to start");
        interrupt.abort();
        assert.equal(await reply, "aborted");
        await within(child.closed, "the death of the escaped child");
      }),
  );
}

/** An agent that starts a sandboxed command, then waits to be killed. */
const AGENT_SCRIPT = (fifo: string, cwd: string, scratch: string) => `
import { ProcessManager } from ${JSON.stringify(new URL("./processes.ts", import.meta.url).href)};
const processes = new ProcessManager();
const argv = ["/bin/sh", "-c", ${JSON.stringify(ESCAPING_CHILD(fifo))}];
processes.start({
  argv, cwd: ${JSON.stringify(cwd)}, env: processes.environment(), tty: false,
  sandbox: { policy: { mode: "read-only" }, workspace: ${JSON.stringify(cwd)} },
  scratch: ${JSON.stringify(scratch)},
});
setInterval(() => {}, 1000);
`;

sandboxTest(
  "a SIGKILLed agent takes its sandboxed commands with it",
  () =>
    withWorkspace(async (w) => {
      const fifo = makeFifo(w.dir);
      const child = watchFifo(fifo);
      const script = join(w.outside, "agent.ts");
      // Its scratch dir is given, since nothing can remove one of its own after a SIGKILL.
      writeFileSync(script, AGENT_SCRIPT(fifo, w.dir, w.outside));
      const agent = spawn(Deno.execPath(), ["run", "-A", "--quiet", script], { stdio: "inherit" });
      const agentExit = new Promise((resolve) => agent.once("exit", resolve));
      await within(child.opened, "the sandboxed command to start");
      // No exit hook runs on SIGKILL: only bwrap's --die-with-parent can end the command.
      agent.kill("SIGKILL");
      await within(agentExit, "the agent to die");
      await within(child.closed, "the death of the killed agent's command");
    }),
);

Deno.test("bwrap arguments: read-only root, writable roots, protected paths, namespaces", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "tscodex-sandbox-args-" }));
  try {
    mkdirSync(join(dir, ".git"));
    const readOnly = bwrapArgs({ policy: READ_ONLY, workspace: dir }, {
      mountProc: true,
      cwd: dir,
      privateTmp: "/tmp/scratch",
    });
    assert.deepEqual(readOnly, [
      "--new-session",
      "--die-with-parent",
      "--ro-bind",
      "/",
      "/",
      "--dev",
      "/dev",
      "--bind",
      "/tmp/scratch",
      "/tmp/scratch",
      "--setenv",
      "TMPDIR",
      "/tmp/scratch",
      "--unshare-pid",
      "--unshare-net",
      "--proc",
      "/proc",
      "--chdir",
      dir,
      "--",
    ]);
    const workspace = bwrapArgs({
      policy: { ...WORKSPACE_ONLY, networkAccess: true },
      workspace: dir,
    }, { mountProc: false, cwd: "/" });
    assert.deepEqual(workspace.slice(7), [
      "--bind",
      dir,
      dir,
      "--ro-bind",
      join(dir, ".git"),
      join(dir, ".git"),
      "--unshare-pid",
      "--chdir",
      "/",
      "--",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a worktree's .git pointer file and the directory it names are both protected", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "tscodex-sandbox-wt-" }));
  try {
    mkdirSync(join(dir, "repo", ".git", "worktrees", "wt"), { recursive: true });
    mkdirSync(join(dir, "wt"));
    writeFileSync(join(dir, "wt", ".git"), `gitdir: ${dir}/repo/.git/worktrees/wt\n`);
    const policy: SandboxPolicy = { ...WORKSPACE_ONLY, writableRoots: [join(dir, "repo")] };
    const cwd = join(dir, "wt");
    assert.equal(canWrite("file.txt", policy, cwd), true);
    assert.equal(canWrite(".git", policy, cwd), false);
    assert.equal(
      canWrite(join(dir, "repo", ".git", "worktrees", "wt", "HEAD"), policy, cwd),
      false,
    );
    assert.equal(canWrite(join(dir, "repo", "src.txt"), policy, cwd), true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writable roots per mode: workspace-write adds cwd, /tmp and $TMPDIR unless excluded", () => {
  const tmp = Deno.env.get("TMPDIR");
  assert.deepEqual(writableRoots(READ_ONLY, "/w"), []);
  assert.deepEqual(writableRoots({ ...READ_ONLY, writableRoots: ["granted"] }, "/w"), [
    "/w/granted",
  ]);
  assert.deepEqual(
    writableRoots({ mode: "workspace-write", writableRoots: ["/extra"] }, "/w"),
    ["/w", "/extra", "/tmp", ...(tmp ? [tmp] : [])].filter((r, i, all) => all.indexOf(r) === i),
  );
  assert.deepEqual(writableRoots(WORKSPACE_ONLY, "/w"), ["/w"]);
  assert.equal(writableRoots(FULL_ACCESS, "/w"), undefined);
  assert.equal(writableRoots(undefined, "/w"), undefined);
});

Deno.test("without bubblewrap a restricted command fails with the fix, and never runs", () =>
  withWorkspace(async (w) => {
    const saved = Deno.env.get("PATH");
    Deno.env.set("PATH", "/nonexistent");
    try {
      assert.throws(
        () => sandboxedArgv(["true"], { policy: READ_ONLY, workspace: w.dir }, w.dir),
        (err) =>
          err instanceof SandboxUnavailableError && /apt-get install bubblewrap/.test(err.message),
      );
      const exec = await w.call("exec_command", { cmd: "touch ran", login: false }, {
        sandbox: READ_ONLY,
      });
      assert.match(exec, /^exec_command failed for `[^`]*`: CreateProcess \{ message: "Rejected/);
      assert.match(exec, /apt-get install bubblewrap/);
      assert.match(exec, /-s danger-full-access or --dangerously-bypass-approvals-and-sandbox/);
      const shell = await w.call("shell_command", { command: "touch ran", login: false }, {
        sandbox: WORKSPACE_ONLY,
      });
      assert.match(shell, /^execution error: the command sandbox needs bubblewrap/);
      assert.equal(existsSync(join(w.dir, "ran")), false);
      // Only a restricted sandbox needs bwrap.
      const free = await run(w, "/usr/bin/touch ran && echo ok", FULL_ACCESS);
      assert.deepEqual(free, { exitCode: 0, output: "ok\n" });
    } finally {
      if (saved === undefined) Deno.env.delete("PATH");
      else Deno.env.set("PATH", saved);
    }
  }));

Deno.test("a bwrap that cannot make namespaces is reported with the fix; one without /proc is used", async () => {
  const bin = await Deno.makeTempDir({ prefix: "tscodex-fake-bwrap-" });
  const saved = Deno.env.get("PATH");
  try {
    const fakeBwrap = (script: string) => {
      writeFileSync(join(bin, "bwrap"), `#!/bin/sh\n${script}\n`, { mode: 0o755 });
      Deno.env.set("PATH", `${bin}:/usr/bin:/bin:/${crypto.randomUUID()}`);
      return sandboxSupport();
    };
    const refused = fakeBwrap('echo "bwrap: setting up uid map: Permission denied" >&2; exit 1');
    assert.equal(refused.ok, false);
    assert.match(
      (refused as { problem: string }).problem,
      /^bubblewrap \(.*\/bwrap\) cannot create the command sandbox here: bwrap: setting up uid map: Permission denied\. It needs user namespaces .* or pass -s danger-full-access/,
    );
    const noProc = fakeBwrap('for a; do [ "$a" = --proc ] && exit 1; done; exit 0');
    assert.deepEqual(noProc, { ok: true, bwrap: join(bin, "bwrap"), mountProc: false });
  } finally {
    if (saved === undefined) Deno.env.delete("PATH");
    else Deno.env.set("PATH", saved);
    await Deno.remove(bin, { recursive: true });
  }
});
