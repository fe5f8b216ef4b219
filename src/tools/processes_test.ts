import assert from "node:assert/strict";
import { makeFifo, within, writeFifo } from "../testing/mod.ts";
import { type ExecSession, OutputBuffer, ProcessManager } from "./processes.ts";

Deno.test("OutputBuffer keeps the first and the last half of its cap", () => {
  const buffer = new OutputBuffer(8);
  const bytes = (text: string) => new TextEncoder().encode(text);
  buffer.push(bytes("abc"));
  buffer.push(bytes("defgh"));
  buffer.push(bytes("ij"));
  buffer.push(bytes("klmnopq"));
  assert.equal(buffer.size, 8);
  const text = buffer.drain().map((c) => new TextDecoder().decode(c)).join("");
  assert.equal(text, "abcdnopq");
  assert.equal(buffer.size, 0);
});

Deno.test("a full session table prunes upstream's way: an exited session, else the LRU", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tscodex-prune-" });
  const processes = new ProcessManager({ maxSessions: 10 });
  const fifos: string[] = [];
  const start = (): ExecSession => {
    const fifo = makeFifo(dir, `fifo${fifos.length}`);
    fifos.push(fifo);
    const argv = ["/bin/sh", "-c", `read x < ${fifo}`];
    return processes.start({ argv, cwd: dir, env: processes.environment(), tty: false });
  };
  try {
    const sessions = Array.from({ length: 10 }, start);
    await writeFifo(fifos[1], "done\n");
    await within(sessions[1].exited, "the second session to exit");

    // The 8 most recent are spared; of sessions 0 and 1, the exited one goes first.
    start();
    assert.equal(processes.get(sessions[1].id), undefined);
    assert.equal(processes.size, 10);

    // Using session 0 makes it recent, so the least recently used is now session 2: killed.
    assert.ok(processes.get(sessions[0].id));
    start();
    assert.equal(processes.get(sessions[2].id), undefined);
    await sessions[2].exited;
    assert.equal(sessions[2].exitSignal, "SIGKILL");
    assert.ok(processes.get(sessions[0].id));
  } finally {
    processes.killAll();
    await Deno.remove(dir, { recursive: true });
  }
});
