// apply_patch sent as a shell heredoc through exec_command is applied as a patch, as upstream
// 0.115.0 does (its replies are in the conformance scenario apply-patch-via-exec).
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, realpath, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execCommandTools } from "./exec_command.ts";
import { shellTools } from "./shell.ts";
import { patchInvocation, patchViaCommandNotice } from "./patch_command.ts";
import { ProcessManager } from "./processes.ts";
import { type ToolEvent, ToolRegistry } from "./registry.ts";
import type { SandboxPolicy } from "./sandbox.ts";

const ADD = "*** Begin Patch\n*** Add File: hello.txt\n+hi\n*** End Patch";

Deno.test("patchInvocation: only a script that is one apply_patch heredoc is a patch", () => {
  const accepted: Array<[string, string | undefined]> = [
    [`apply_patch <<'EOF'\n${ADD}\nEOF\n`, undefined],
    [`apply_patch <<"EOF"\n${ADD}\nEOF`, undefined],
    [`applypatch <<PATCH\n${ADD}\nPATCH\n\n`, undefined],
    [`cd sub && apply_patch <<'EOF'\n${ADD}\nEOF\n`, "sub"],
    [`cd 'my dir' && apply_patch <<'EOF'\n${ADD}\nEOF\n`, "my dir"],
  ];
  for (const [script, dir] of accepted) {
    assert.deepEqual(patchInvocation(script), { patch: ADD, ...(dir ? { dir } : {}) }, script);
  }
  const refused = [
    `apply_patch <<'EOF'\n${ADD}\nEOF\necho more`,
    `echo hi && apply_patch <<'EOF'\n${ADD}\nEOF`,
    `cd sub; apply_patch <<'EOF'\n${ADD}\nEOF`,
    `apply_patch <<'EOF'\n${ADD}\n`,
    `apply_patch <<'EOF"\n${ADD}\nEOF`,
    `cat <<'EOF'\n${ADD}\nEOF`,
    `apply_patch patch.txt`,
  ];
  for (const script of refused) assert.equal(patchInvocation(script), undefined, script);
});

interface Run {
  output: string;
  notice?: string;
  events: ToolEvent[];
}

async function withWork(
  fn: (
    work: string,
    exec: (cmd: string, sandbox?: SandboxPolicy, workdir?: string) => Promise<Run>,
  ) => Promise<void>,
) {
  const root = await realpath(await mkdtemp(join(tmpdir(), "tscodex-patch-command-")));
  const work = join(root, "work");
  await mkdir(join(work, "sub"), { recursive: true });
  const processes = new ProcessManager({ env: { HOME: root } });
  const journal = { journalDir: join(root, "journal") };
  const registry = new ToolRegistry([
    ...execCommandTools(processes, journal),
    ...shellTools(processes, journal).filter((tool) => tool.name === "shell_command"),
  ]);
  const exec = async (cmd: string, sandbox?: SandboxPolicy, workdir?: string) => {
    const events: ToolEvent[] = [];
    const run = await registry.execute(
      {
        type: "function_call",
        call_id: "call_1",
        name: "exec_command",
        arguments: JSON.stringify({ cmd, ...(workdir ? { workdir } : {}) }),
      },
      {
        cwd: work,
        callId: "call_1",
        signal: new AbortController().signal,
        sandbox,
        onEvent: (event) => events.push(event),
      },
    );
    return { output: String(run.item.output), notice: run.notice, events };
  };
  try {
    await fn(work, exec);
  } finally {
    processes.killAll();
    await rm(root, { recursive: true, force: true });
  }
}

Deno.test("exec_command applies an apply_patch heredoc as a patch, with upstream's reply and a notice", async () => {
  await withWork(async (work, exec) => {
    await writeFile(join(work, "sub", "notes.txt"), "first\nsecond\n");
    const added = await exec(`apply_patch <<'EOF'\n${ADD}\nEOF\n`);
    assert.equal(await readFile(join(work, "hello.txt"), "utf8"), "hi\n");
    const match = /^Wall time: (\d+(?:\.\d)?) seconds\nOutput:\n(.*)$/s.exec(added.output);
    assert.ok(match, added.output);
    assert.deepEqual(JSON.parse(match[2]), {
      output: "Success. Updated the following files:\nA hello.txt\n",
      metadata: { exit_code: 0, duration_seconds: Number(match[1]) },
    });
    assert.equal(added.notice, patchViaCommandNotice("exec_command"));
    // No process ran: the UI sees a file change, never a command.
    assert.deepEqual(added.events.map((e) => e.type), ["patch_applied"]);

    const updated = await exec(
      "cd sub && apply_patch <<'EOF'\n*** Begin Patch\n*** Update File: notes.txt\n@@\n first\n" +
        "-second\n+SECOND\n*** End Patch\nEOF\n",
    );
    assert.match(updated.output, /M notes\.txt/);
    assert.equal(await readFile(join(work, "sub", "notes.txt"), "utf8"), "first\nSECOND\n");
    assert.deepEqual(updated.events, [{
      type: "patch_applied",
      callId: "call_1",
      changes: [{ path: join(work, "sub", "notes.txt"), kind: "update" }],
    }]);
  });
});

Deno.test("a refused command patch reads as apply_patch's refusal, with no notice", async () => {
  await withWork(async (_work, exec) => {
    const missing = await exec(
      "apply_patch <<'EOF'\n*** Begin Patch\n*** Update File: missing.txt\n@@\n-a\n+b\n" +
        "*** End Patch\nEOF",
      undefined,
      "sub",
    );
    assert.match(
      missing.output,
      /^apply_patch verification failed: Failed to read file to update .*\/sub\/missing\.txt/,
    );
    assert.equal(missing.notice, undefined);
    const bad = await exec("apply_patch <<'EOF'\n*** Begin Patch\n*** Frob: x\n*** End Patch\nEOF");
    assert.match(bad.output, /^apply_patch verification failed: invalid hunk at line 2, /);
  });
});

Deno.test("a cd in a command patch never widens the workspace-write sandbox", async () => {
  await withWork(async (work, exec) => {
    // The test's folders are under the temp folder, which workspace-write lets commands write.
    const sandbox: SandboxPolicy = {
      mode: "workspace-write",
      excludeSlashTmp: true,
      excludeTmpdirEnvVar: true,
    };
    const escaped = await exec(
      `cd .. && apply_patch <<'EOF'\n*** Begin Patch\n*** Add File: outside.txt\n+x\n*** End Patch\nEOF`,
      sandbox,
    );
    assert.match(escaped.output, /^patch rejected: writing outside of the project/);
    // Upstream notes the command form once the patch is valid, whatever the sandbox says next.
    assert.equal(escaped.notice, patchViaCommandNotice("exec_command"));
    assert.ok(!existsSync(join(work, "..", "outside.txt")));
    const inside = await exec(`cd sub && apply_patch <<'EOF'\n${ADD}\nEOF`, sandbox);
    assert.match(inside.output, /A hello\.txt/);
    assert.ok(existsSync(join(work, "sub", "hello.txt")));
  });
});

Deno.test("shell_command applies an apply_patch heredoc too, its result as bare JSON", async () => {
  const root = await realpath(await mkdtemp(join(tmpdir(), "tscodex-patch-shell-")));
  const processes = new ProcessManager({ env: { HOME: root } });
  const registry = new ToolRegistry(
    shellTools(processes, { journalDir: join(root, "journal") }),
  );
  try {
    const run = await registry.execute(
      {
        type: "function_call",
        call_id: "c",
        name: "shell_command",
        arguments: JSON.stringify({ command: `apply_patch <<'EOF'\n${ADD}\nEOF\n` }),
      },
      { cwd: root, callId: "c", signal: new AbortController().signal },
    );
    // As upstream 0.115.0 (scenario apply-patch-via-shell-command): no framing around the JSON.
    const reply = JSON.parse(String(run.item.output));
    assert.equal(reply.output, "Success. Updated the following files:\nA hello.txt\n");
    assert.equal(reply.metadata.exit_code, 0);
    assert.equal(run.notice, patchViaCommandNotice("shell_command"));
    assert.equal(await readFile(join(root, "hello.txt"), "utf8"), "hi\n");
  } finally {
    processes.killAll();
    await rm(root, { recursive: true, force: true });
  }
});
