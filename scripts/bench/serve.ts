// Throughput of `tscodex serve`: 64 concurrent streams × 500 chunks straight to a scripted chat
// backend vs through the proxy. Usage: deno run -A scripts/bench/serve.ts (BUN=1 runs the proxy
// under Bun). Prints per-round wall time, chunks/s, latency percentiles and the proxy's CPU and RSS.
import { chat, ScriptedBackend } from "../../src/serve/testing.ts";
import { readSse } from "../../src/protocol/mod.ts";

const root = new URL("../../", import.meta.url).pathname;

const STREAMS = 64, CHUNKS = 500;
const reply = () => ({
  chunks: [
    ...chat.text(...Array.from({ length: CHUNKS }, (_, i) => `tok${i} `)),
    chat.finish("stop"),
    chat.usage(10, CHUNKS),
  ],
});
const rounds = 3;
const backend = await new ScriptedBackend(
  "chat",
  Array.from({ length: STREAMS * (rounds * 2 + 2) }, reply),
).start();
const useBun = Deno.env.get("BUN") === "1";
const serve = new Deno.Command(useBun ? `${root}node_modules/.bin/bun` : Deno.execPath(), {
  args: [
    ...(useBun ? ["run"] : ["run", "-A", "--no-check"]),
    `${root}main.ts`,
    "serve",
    "--listen",
    "127.0.0.1:0",
    "--downstream",
    backend.url,
  ],
  stdout: "piped",
  stderr: "null",
}).spawn();
const reader = serve.stdout.pipeThrough(new TextDecoderStream()).getReader();
let line = "";
while (!line.includes("\n")) line += (await reader.read()).value;
const proxyUrl = line.trim();

async function one(
  url: string,
  body: unknown,
): Promise<{ ms: number; firstMs: number; events: number }> {
  const t0 = performance.now();
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  let events = 0, firstMs = 0;
  for await (const m of readSse(res.body!)) {
    if (events++ === 0) firstMs = performance.now() - t0;
    JSON.parse(m.data === "[DONE]" ? "null" : m.data);
  }
  return { ms: performance.now() - t0, firstMs, events };
}
async function batch(direct: boolean) {
  const t0 = performance.now();
  const results = await Promise.all(
    Array.from({ length: STREAMS }, () =>
      direct
        ? one(`${backend.url}/chat/completions`, {
          model: "m",
          messages: [{ role: "user", content: "hi" }],
          stream: true,
        })
        : one(`${proxyUrl}/responses`, { model: "m", input: "hi", stream: true })),
  );
  const wall = performance.now() - t0;
  const ms = results.map((r) => r.ms).sort((a, b) => a - b);
  const q = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))];
  const f = results.map((r) => r.firstMs).sort((a, b) => a - b);
  return {
    wall,
    p50: q(0.5),
    p99: q(0.99),
    first50: f[Math.floor(f.length / 2)],
    first99: f[f.length - 1],
    chunksPerSec: (STREAMS * CHUNKS) / (wall / 1000),
    events: results[0].events,
  };
}
await batch(true);
await batch(false); // warm-up
const cpu = async () => {
  const f = (await Deno.readTextFile(`/proc/${serve.pid}/stat`)).split(") ")[1].split(" ");
  return (Number(f[11]) + Number(f[12])) * 10;
};
for (let i = 0; i < rounds; i++) {
  const d = await batch(true);
  const c0 = await cpu();
  const p = await batch(false);
  const c1 = await cpu();
  console.log(`proxy cpu ${c1 - c0} ms for ${STREAMS * CHUNKS} chunks`);
  console.log(
    `direct  wall ${d.wall.toFixed(0)} ms  ${d.chunksPerSec.toFixed(0)} chunks/s  p50 ${
      d.p50.toFixed(1)
    } p99 ${d.p99.toFixed(1)} ms (${d.events} events/stream) first event p50 ${
      d.first50.toFixed(1)
    } max ${d.first99.toFixed(1)}`,
  );
  console.log(
    `proxied wall ${p.wall.toFixed(0)} ms  ${p.chunksPerSec.toFixed(0)} chunks/s  p50 ${
      p.p50.toFixed(1)
    } p99 ${p.p99.toFixed(1)} ms (${p.events} events/stream) first event p50 ${
      p.first50.toFixed(1)
    } max ${p.first99.toFixed(1)}  ratio ${(p.chunksPerSec / d.chunksPerSec).toFixed(2)}`,
  );
}
const status = await Deno.readTextFile(`/proc/${serve.pid}/status`);
console.log("proxy", status.split("\n").filter((l) => /VmHWM|VmRSS/.test(l)).join("  "));
serve.kill("SIGTERM");
await serve.status;
await backend.close();
