import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Bench, sessionIdOf, withCommandBench } from "./command_testing.ts";
import { makeFifo, watchFifo, within, writeFifo } from "../testing/mod.ts";
import { execCommandTools } from "./exec_command.ts";

function withBench(fn: (bench: Bench) => Promise<void>): Promise<void> {
  return withCommandBench(execCommandTools, fn);
}

const FRAME = new RegExp(
  "^Command: (?<command>.*)\\nChunk ID: [0-9a-f]{6}\\nWall time: \\d+\\.\\d{4} seconds\\n" +
    "(?:Process exited with code (?<code>-?\\d+)|Process running with session ID (?<id>\\d+))\\n" +
    "Original token count: (?<tokens>\\d+)\\nOutput:\\n(?<output>[^]*)$",
);

function frame(reply: string) {
  const match = FRAME.exec(reply);
  assert.ok(match?.groups, `not an exec reply:\n${reply}`);
  const { command, code, id, tokens, output } = match.groups;
  return {
    command,
    exitCode: code === undefined ? undefined : Number(code),
    sessionId: id === undefined ? undefined : Number(id),
    tokens: Number(tokens),
    output,
  };
}

Deno.test("exec_command frames a finished command exactly like upstream", async () => {
  await withBench(async ({ call }) => {
    const reply = await call("exec_command", { cmd: "echo hi; ls", shell: "/bin/bash" });
    // Upstream 0.115.0, captures/b: Command / Chunk ID / Wall time / exit / tokens / Output.
    assert.match(
      reply,
      /^Command: \/bin\/bash -lc 'echo hi; ls'\nChunk ID: [0-9a-f]{6}\nWall time: \d+\.\d{4} seconds\nProcess exited with code 0\nOriginal token count: 1\nOutput:\nhi\n$/,
    );
  });
});

Deno.test("exec_command reports the exit status and merges stderr into the output", async () => {
  await withBench(async ({ call }) => {
    const cases: Array<[string, number, string]> = [
      ["exit 3", 3, ""],
      ["false", 1, ""],
      ["echo oops >&2; exit 42", 42, "oops\n"],
      // A signal death has no exit status; upstream reports -1 on pipes.
      ["kill -9 $$", -1, ""],
    ];
    for (const [cmd, code, output] of cases) {
      const reply = frame(await call("exec_command", { cmd, shell: "/bin/bash", login: false }));
      assert.equal(reply.exitCode, code, cmd);
      assert.equal(reply.output, output, cmd);
    }
  });
});

Deno.test("a long-running command keeps a session that write_stdin polls to its end", async () => {
  await withBench(async ({ dir, call }) => {
    const fifo = makeFifo(dir);
    const first = frame(
      await call("exec_command", {
        cmd: `echo waiting; read line < ${fifo}; echo "got $line"`,
        shell: "/bin/bash",
        yield_time_ms: 300,
      }),
    );
    assert.equal(first.exitCode, undefined);
    assert.ok(
      first.sessionId !== undefined && first.sessionId >= 1000 && first.sessionId < 100_000,
    );

    await writeFifo(fifo, "go\n");
    // The poll returns when the process exits: waiting out the yield would pass the deadline.
    const second = frame(
      await within(
        call("write_stdin", { session_id: first.sessionId, yield_time_ms: 300_000 }),
        "the poll to return at the process's exit",
      ),
    );
    assert.equal(
      second.command,
      `/bin/bash -lc 'echo waiting; read line < ${fifo}; echo "got $line"'`,
    );
    assert.equal(second.exitCode, 0);
    // How much the first reply caught depends on how soon bash started; together they are whole.
    assert.equal(first.output + second.output, "waiting\ngot go\n");

    // A finished session is forgotten; so is an id that never existed.
    assert.equal(
      await call("write_stdin", { session_id: first.sessionId, chars: "" }),
      `write_stdin failed: Unknown process id ${first.sessionId}`,
    );
    assert.equal(
      await call("write_stdin", { session_id: 999, chars: "x" }),
      "write_stdin failed: Unknown process id 999",
    );
  });
});

Deno.test("tty: true runs the command on a real 24x80 terminal; tty: false on pipes", async () => {
  await withBench(async ({ call }) => {
    const cmd = "[ -t 0 ] && [ -t 1 ] && echo terminal || echo pipes; stty size 2>&1 | head -c 30";
    const onTty = frame(await call("exec_command", { cmd, tty: true, login: false }));
    assert.equal(onTty.exitCode, 0);
    assert.equal(onTty.output, "terminal\r\n24 80\r\n");

    const onPipes = frame(await call("exec_command", { cmd, login: false }));
    assert.equal(onPipes.output.split("\n")[0], "pipes");
  });
});

Deno.test("tty: false gives the command no stdin, and write_stdin says so", async () => {
  await withBench(async ({ dir, call }) => {
    const noStdin = frame(await call("exec_command", { cmd: "cat; echo eof", login: false }));
    assert.equal(noStdin.output, "eof\n");

    const fifo = makeFifo(dir);
    const running = frame(
      await call("exec_command", { cmd: `read x < ${fifo}`, login: false, yield_time_ms: 250 }),
    );
    assert.equal(
      await call("write_stdin", { session_id: running.sessionId, chars: "hello\n" }),
      "write_stdin failed: stdin is closed for this session; rerun exec_command with tty=true " +
        "to keep stdin open",
    );
    await writeFifo(fifo, "done\n");
  });
});

Deno.test("write_stdin answers an interactive prompt on the terminal", async () => {
  await withBench(async ({ dir, call }) => {
    // The shell opens the FIFO once python has printed, so the answer is typed after "True".
    const fifo = makeFifo(dir);
    const printed = watchFifo(fifo);
    const first = frame(
      await call("exec_command", {
        cmd: `python3 -c 'import sys; print(sys.stdin.isatty())'; exec 3>${fifo} 3>&-; ` +
          `read -p "name? " n; echo "hello $n"`,
        shell: "/bin/bash",
        login: false,
        tty: true,
        yield_time_ms: 250,
      }),
    );
    assert.ok(first.sessionId !== undefined, "the prompt waits for input");
    await within(printed.closed, "python's answer");
    const second = frame(
      await call("write_stdin", {
        session_id: first.sessionId,
        chars: "bob\n",
        yield_time_ms: 10_000,
      }),
    );
    assert.equal(second.exitCode, 0);
    // The terminal echoes what was typed (whether or not the prompt was out yet), CRLF endings.
    const all = first.output + second.output;
    assert.match(all, /^True\r\n/);
    assert.ok(all.includes("name? ") && all.includes("bob\r\n"), all);
    assert.ok(all.endsWith("hello bob\r\n"), all);
  });
});

Deno.test("write_stdin ^C reaches the foreground program as SIGINT through the terminal", async () => {
  await withBench(async ({ call }) => {
    const first = frame(
      await call("exec_command", { cmd: "cat", tty: true, login: false, yield_time_ms: 250 }),
    );
    const second = frame(
      await call("write_stdin", {
        session_id: first.sessionId,
        chars: "\u0003",
        yield_time_ms: 10_000,
      }),
    );
    assert.equal(second.output, "^C");
    // `script` reports a signal death as 128 + N (upstream's PTY layer says 1).
    assert.equal(second.exitCode, 130);
  });
});

Deno.test("unread output is capped at 1 MiB, keeping the head and the tail", async () => {
  await withBench(async ({ dir, processes, call }) => {
    const fifo = makeFifo(dir);
    const first = frame(
      await call("exec_command", {
        cmd: `read x < ${fifo}; head -c 3000000 /dev/zero | tr '\\0' a; echo; echo END`,
        login: false,
        yield_time_ms: 250,
      }),
    );
    await writeFifo(fifo, "go\n");
    // Everything is printed into the buffer before anyone reads it.
    await within(processes.get(first.sessionId!)!.closed, "the command to end");
    const reply = frame(
      await call("write_stdin", { session_id: first.sessionId, max_output_tokens: 100 }),
    );
    // Upstream 0.115.0 printed exactly these numbers for the same output.
    assert.equal(reply.tokens, 262_144);
    assert.equal(
      reply.output,
      "Total output lines: 2\n\n" + "a".repeat(200) + "…262044 tokens truncated…" +
        "a".repeat(195) + "\nEND\n",
    );
  });
});

Deno.test("max_output_tokens keeps head and tail with upstream's marker", async () => {
  await withBench(async ({ call }) => {
    const reply = frame(
      await call("exec_command", { cmd: "seq 1 100000", login: false, max_output_tokens: 50 }),
    );
    const numbers = (from: number, to: number) =>
      Array.from({ length: to - from + 1 }, (_, i) => `${from + i}\n`).join("");
    // Byte for byte what upstream 0.115.0 returned for this call.
    assert.equal(reply.tokens, 147_224);
    assert.equal(
      reply.output,
      "Total output lines: 100000\n\n" + numbers(1, 36) + "3…147174 tokens truncated…84\n" +
        numbers(99985, 100000),
    );
  });
});

/** A command whose background child holds `fifo` open for as long as it lives. */
const LEAVES_A_CHILD = (fifo: string) => `sleep 600 3>${fifo} & wait`;

for (const tty of [false, true]) {
  Deno.test(`interrupting exec_command kills its process group (tty: ${tty})`, async () => {
    await withBench(async ({ dir, call }) => {
      const fifo = makeFifo(dir);
      const child = watchFifo(fifo);
      const interrupt = new AbortController();
      const reply = call(
        "exec_command",
        { cmd: LEAVES_A_CHILD(fifo), tty, login: false },
        interrupt.signal,
      );
      await within(child.opened, "the command to start");
      interrupt.abort();
      assert.equal(await reply, "aborted");
      await within(child.closed, "the death of the command's child");
    });
  });
}

Deno.test("interrupting a write_stdin poll kills the session's process group", async () => {
  await withBench(async ({ dir, call }) => {
    const fifo = makeFifo(dir);
    const child = watchFifo(fifo);
    const first = await call("exec_command", {
      cmd: LEAVES_A_CHILD(fifo),
      tty: true,
      login: false,
      yield_time_ms: 250,
    });
    await within(child.opened, "the command to start");
    const interrupt = new AbortController();
    const poll = call("write_stdin", { session_id: sessionIdOf(first) }, interrupt.signal);
    interrupt.abort();
    assert.equal(await poll, "aborted");
    await within(child.closed, "the death of the command's child");
  });
});

/** An agent that starts a command with a child and exits when told to on its stdin. */
const AGENT_SCRIPT = (fifo: string, tty: boolean) => `
import process from "node:process";
import { ProcessManager } from ${JSON.stringify(new URL("./processes.ts", import.meta.url).href)};
const processes = new ProcessManager();
const argv = ["/bin/sh", "-c", ${JSON.stringify(LEAVES_A_CHILD(fifo))}];
processes.start({ argv, cwd: "/", env: processes.environment(), tty: ${tty} });
// Exit while the command and its child still run: the exit hook must take them along.
process.stdin.once("data", () => process.exit(0));
`;

for (const tty of [false, true]) {
  Deno.test(`commands die when the agent process exits (tty: ${tty})`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "tscodex-exit-" });
    try {
      const fifo = makeFifo(dir);
      const child = watchFifo(fifo);
      const script = join(dir, "agent.ts");
      writeFileSync(script, AGENT_SCRIPT(fifo, tty));
      const agent = spawn(Deno.execPath(), ["run", "-A", "--quiet", script], {
        stdio: ["pipe", "inherit", "inherit"],
      });
      const agentExit = new Promise((resolve) => agent.once("exit", resolve));
      await within(child.opened, "the command to start");
      agent.stdin!.end("exit now\n");
      assert.equal(await within(agentExit, "the agent to exit"), 0);
      await within(child.closed, "the death of the exited agent's command");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("workdir is relative to the turn directory; a missing one fails like upstream", async () => {
  await withBench(async ({ dir, call }) => {
    mkdirSync(join(dir, "sub"));
    const reply = frame(await call("exec_command", { cmd: "pwd", workdir: "sub", login: false }));
    assert.equal(reply.output, `${join(dir, "sub")}\n`);

    assert.equal(
      await call("exec_command", { cmd: "exit 0", workdir: "missing", shell: "/bin/bash" }),
      "exec_command failed for `/bin/bash -lc 'exit 0'`: CreateProcess { message: " +
        '"Rejected(\\"Failed to create unified exec process: No such file or directory (os error 2)\\")" }',
    );
  });
});

Deno.test("login runs the shell with -lc (the default), login: false with -c", async () => {
  await withBench(async ({ call }) => {
    const cmd = "shopt -q login_shell && echo login || echo plain";
    const login = frame(await call("exec_command", { cmd, shell: "/bin/bash" }));
    assert.equal(login.command, `/bin/bash -lc '${cmd}'`);
    assert.match(login.output, /login\n$/);
    const plain = frame(await call("exec_command", { cmd, shell: "/bin/bash", login: false }));
    assert.equal(plain.command, `/bin/bash -c '${cmd}'`);
    assert.equal(plain.output, "plain\n");
  });
});

Deno.test("a shell that does not exist falls back to /bin/sh, as upstream does", async () => {
  await withBench(async ({ call }) => {
    const reply = frame(await call("exec_command", { cmd: "echo hi", shell: "/no/such/shell" }));
    assert.equal(reply.command, "/bin/sh -lc 'echo hi'");
    assert.equal(reply.output, "hi\n");
  });
});

Deno.test("yield_time_ms is held to at least 250 ms", async () => {
  await withBench(async ({ dir, call }) => {
    const fifo = makeFifo(dir);
    const reply = await call("exec_command", { cmd: `read x < ${fifo}`, yield_time_ms: 1 });
    const wall = Number(/Wall time: (\S+) seconds/.exec(reply)![1]);
    assert.ok(wall >= 0.25, `waited only ${wall}s`);
    assert.ok(sessionIdOf(reply) >= 1000);
    await writeFifo(fifo, "\n");
  });
});
