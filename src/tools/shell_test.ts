import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Bench, withCommandBench } from "./command_testing.ts";
import { makeFifo, watchFifo, within } from "../testing/mod.ts";
import { ProcessManager } from "./processes.ts";
import { ToolRegistry } from "./registry.ts";
import { formatShellOutput, shellTools } from "./shell.ts";

function withBench(fn: (bench: Bench) => Promise<void>): Promise<void> {
  return withCommandBench(shellTools, fn);
}

const FRAME =
  /^Exit code: (?<code>-?\d+)\nWall time: (?<wall>\d+(?:\.\d)?) seconds\n(?:Total output lines: (?<lines>\d+)\n)?Output:\n(?<output>[^]*)$/;

function frame(reply: string) {
  const match = FRAME.exec(reply);
  assert.ok(match?.groups, `not a shell reply:\n${reply}`);
  const { code, wall, lines, output } = match.groups;
  return {
    exitCode: Number(code),
    wallSeconds: Number(wall),
    totalLines: lines === undefined ? undefined : Number(lines),
    output,
  };
}

Deno.test("shell_command frames its result like upstream: exit code, wall time, output", async () => {
  await withBench(async ({ call }) => {
    // Upstream 0.115.0 (`--disable unified_exec`): "Exit code: 1\nWall time: 0 seconds\nOutput:\n…"
    assert.match(
      await call("shell_command", { command: "seq 1 3; exit 1" }),
      /^Exit code: 1\nWall time: \d+(\.\d)? seconds\nOutput:\n1\n2\n3\n$/,
    );
    const merged = frame(await call("shell_command", { command: "echo err >&2; exit 7" }));
    assert.equal(merged.exitCode, 7);
    assert.equal(merged.output, "err\n");
  });
});

Deno.test("shell runs the argv itself, without a shell in between", async () => {
  await withBench(async ({ call }) => {
    const reply = frame(await call("shell", { command: ["printf", "%s|", "a b", "$HOME", "*"] }));
    assert.equal(reply.exitCode, 0);
    assert.equal(reply.output, "a b|$HOME|*|");
  });
});

Deno.test("shell_command waits for output a background child still writes", async () => {
  await withBench(async ({ dir, call }) => {
    const fifo = makeFifo(dir);
    const reply = call("shell_command", { command: `(read x < ${fifo}; echo late) & echo early` });
    await Deno.writeTextFile(fifo, "go\n");
    assert.equal(frame(await reply).output, "early\nlate\n");
  });
});

Deno.test("a timeout kills the command's process group and reports exit code 124", async () => {
  await withBench(async ({ dir, call }) => {
    const fifo = makeFifo(dir);
    const child = watchFifo(fifo);
    const reply = frame(
      await call("shell_command", {
        command: `echo before; sleep 600 3>${fifo} & wait`,
        // Long enough for bash to print under load: the output before the timeout is kept.
        timeout_ms: 3000,
      }),
    );
    assert.equal(reply.exitCode, 124); // timeout(1)'s code, which upstream reports too
    assert.ok(reply.wallSeconds >= 3);
    const timedOut = /^command timed out after (\d+) milliseconds\nbefore\n$/.exec(reply.output);
    assert.ok(timedOut && Number(timedOut[1]) >= 3000, reply.output);
    await within(child.closed, "the death of the timed-out command's child");
  });
});

Deno.test("interrupting shell kills its process group", async () => {
  await withBench(async ({ dir, call }) => {
    const fifo = makeFifo(dir);
    const child = watchFifo(fifo);
    const interrupt = new AbortController();
    const reply = call("shell", { command: ["sh", "-c", `sleep 600 3>${fifo}`] }, interrupt.signal);
    await within(child.opened, "the command to start");
    interrupt.abort();
    assert.equal(await reply, "aborted");
    await within(child.closed, "the death of the interrupted command");
  });
});

Deno.test("long output keeps head and tail; the line count shows when lines were cut", async () => {
  await withBench(async ({ call }) => {
    const reply = frame(await call("shell_command", { command: "seq 1 100000" }));
    // As upstream 0.115.0 for gpt-5.1-codex: 10 000 tokens, half from each end, count in header.
    assert.equal(reply.totalLines, 100_000);
    assert.ok(reply.output.startsWith("1\n2\n3\n"));
    assert.ok(reply.output.endsWith("99999\n100000\n"));
    const [head, tail] = reply.output.split("…137224 tokens truncated…");
    assert.equal(head.length, 20_000);
    assert.equal(tail.length, 20_000);

    // One long line cut in the middle is still one line: upstream then prints no count.
    const line = frame(
      await call("shell_command", { command: "head -c 100000 /dev/zero | tr '\\0' a" }),
    );
    assert.equal(line.totalLines, undefined);
    assert.equal(line.output, "a".repeat(20_000) + "…15000 tokens truncated…" + "a".repeat(20_000));
  });
});

Deno.test("login runs shell_command with -lc by default, login: false with -c", async () => {
  await withBench(async ({ dir, call }) => {
    // HOME is the bench directory: only a login shell reads this profile.
    await Deno.writeTextFile(join(dir, ".profile"), "PROFILE_READ=yes; export PROFILE_READ\n");
    const command = 'echo "profile=${PROFILE_READ:-no}"';
    assert.equal(frame(await call("shell_command", { command })).output, "profile=yes\n");
    assert.equal(
      frame(await call("shell_command", { command, login: false })).output,
      "profile=no\n",
    );
  });
});

Deno.test("workdir resolves against the turn directory; failures read like upstream's", async () => {
  await withBench(async ({ dir, call }) => {
    mkdirSync(join(dir, "sub"));
    assert.equal(
      frame(await call("shell_command", { command: "pwd", workdir: "sub" })).output,
      `${join(dir, "sub")}\n`,
    );
    const notFound =
      'execution error: Io(Os { code: 2, kind: NotFound, message: "No such file or directory" })';
    assert.equal(await call("shell_command", { command: "pwd", workdir: "missing" }), notFound);
    assert.equal(await call("shell", { command: ["/no/such/program"] }), notFound);
    assert.equal(await call("shell", { command: [] }), "command args are empty");
    assert.equal(
      await call("shell", { command: ["sh", "-c", "kill -9 $$"] }),
      "execution error: Sandbox(Signal(9))",
    );
  });
});

Deno.test("formatShellOutput rounds wall time to tenths the way upstream prints it", () => {
  const cases: Array<[number, string]> = [[0, "0"], [42, "0"], [503, "0.5"], [10_003, "10"]];
  for (const [wallMs, shown] of cases) {
    assert.equal(
      formatShellOutput({ exitCode: 0, wallMs, output: "x\n", timedOut: false }),
      `Exit code: 0\nWall time: ${shown} seconds\nOutput:\nx\n`,
    );
  }
  assert.equal(
    formatShellOutput({ exitCode: 124, wallMs: 10_003.4, output: "", timedOut: true }),
    "Exit code: 124\nWall time: 10 seconds\nOutput:\ncommand timed out after 10003 milliseconds\n",
  );
});

// Recorded from upstream 0.115.0 requests: shell_command with `--disable unified_exec`
// (gpt-5.1-codex), shell with `--disable unified_exec` and gpt-4.1. Descriptions are our own
// prose, so only their presence is compared.
const UPSTREAM_PARAMETERS: Record<string, unknown> = {
  shell: {
    type: "object",
    properties: {
      command: { type: "array", items: { type: "string" }, description: true },
      justification: { type: "string", description: true },
      prefix_rule: { type: "array", items: { type: "string" }, description: true },
      sandbox_permissions: { type: "string", description: true },
      timeout_ms: { type: "number", description: true },
      workdir: { type: "string", description: true },
    },
    required: ["command"],
    additionalProperties: false,
  },
  shell_command: {
    type: "object",
    properties: {
      command: { type: "string", description: true },
      justification: { type: "string", description: true },
      login: { type: "boolean", description: true },
      prefix_rule: { type: "array", items: { type: "string" }, description: true },
      sandbox_permissions: { type: "string", description: true },
      timeout_ms: { type: "number", description: true },
      workdir: { type: "string", description: true },
    },
    required: ["command"],
    additionalProperties: false,
  },
};

function descriptionsPresent(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(descriptionsPresent);
  if (node === null || typeof node !== "object") return node;
  return Object.fromEntries(
    Object.entries(node).map((
      [key, value],
    ) => [
      key,
      key === "description"
        ? typeof value === "string" && value !== ""
        : descriptionsPresent(value),
    ]),
  );
}

Deno.test("shell and shell_command schemas match upstream 0.115.0, key order included", () => {
  const registry = new ToolRegistry(shellTools(new ProcessManager()));
  assert.deepEqual(registry.names, ["shell", "shell_command"]);
  for (const spec of registry.specs()) {
    const { name, parameters, strict } = spec as {
      name: string;
      parameters: unknown;
      strict: boolean;
    };
    assert.equal(strict, false);
    assert.equal(
      JSON.stringify(descriptionsPresent(parameters)),
      JSON.stringify(UPSTREAM_PARAMETERS[name]),
      name,
    );
  }
});
