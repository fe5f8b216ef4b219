// How much `tscodex serve` costs in front of a fast chat backend, in one run: a backend process
// streaming CHUNKS small chunks per answer, read by 1 and by 64 concurrent streaming clients, once
// straight from the backend and once through serve (its own process). Per row: requests per
// second, the time to the first text delta (chat: the first `delta.content`; serve: the first
// `response.output_text.delta`, not `response.created`), total latency p50 / p99, and for serve
// its CPU time per chunk (all threads, from /proc/PID/task/*/schedstat) and peak RSS.
//
// The backend behaves like a batching inference engine: every `--step-ms` one "decode step" gives
// each open stream its next token (vLLM emits one token per running sequence per step), so the
// backend, not the client, sets the pace, as in production. `--step-ms 0` drops the pacing: every
// stream is written as fast as the socket takes it, which measures CPU cost, not throughput a
// client would see (the ratio then mostly reflects how the 2 cores are shared by three processes).
//
// Usage: deno run -A scripts/bench/serve.ts [--serve binary|bun|deno] [--step-ms 5]
//          [--chunks 200] [--single 20] [--rounds 4] [--warmup 3] [--only 1|64]
//          [--profile DIR]
// `binary` (the default when dist/tscodex exists, else `bun`) is what users run. `--warmup`
// rounds of 64 streams go first on each path, so the JIT has settled (a long-running server's
// state); `--profile DIR` (with `--serve bun`) writes Bun's CPU profile of serve, as markdown.
import { createParser } from "eventsource-parser";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { serveHttp } from "../../src/platform/mod.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    backend: { type: "boolean", default: false },
    serve: { type: "string" },
    "step-ms": { type: "string", default: "5" },
    chunks: { type: "string", default: "200" },
    single: { type: "string", default: "20" },
    rounds: { type: "string", default: "4" },
    warmup: { type: "string", default: "3" },
    profile: { type: "string" },
    only: { type: "string" },
  },
});
const CHUNKS = Number(values.chunks);
const STEP_MS = Number(values["step-ms"]);
const WIDE = 64;

// ---- the backend (a child process of the benchmark) ----

/** Streams CHUNKS chat chunks per request, one per decode step, then finish, usage, [DONE]. */
async function runBackend(): Promise<void> {
  const encoder = new TextEncoder();
  const frame = (chunk: unknown) => encoder.encode(`data: ${JSON.stringify(chunk)}\n\n`);
  const base = { id: "chatcmpl-bench", object: "chat.completion.chunk", created: 0, model: "m" };
  const tokens = Array.from({ length: CHUNKS }, (_, i) =>
    frame({
      ...base,
      choices: [{ index: 0, delta: { content: `tok${i} ` }, finish_reason: null }],
    }));
  const tail = new Uint8Array([
    ...frame({ ...base, choices: [{ index: 0, delta: {}, finish_reason: "stop" }] }),
    ...frame({
      ...base,
      choices: [],
      usage: { prompt_tokens: 10, completion_tokens: CHUNKS, total_tokens: 10 + CHUNKS },
    }),
    ...encoder.encode("data: [DONE]\n\n"),
  ]);
  // Open streams, each with the index of its next token; one timer steps them all.
  const open = new Map<ReadableStreamDefaultController<Uint8Array>, number>();
  const step = (controller: ReadableStreamDefaultController<Uint8Array>): void => {
    const next = open.get(controller)!;
    try {
      controller.enqueue(tokens[next]);
      if (next + 1 < CHUNKS) {
        open.set(controller, next + 1);
        return;
      }
      controller.enqueue(tail);
      controller.close();
    } catch {
      // the client left
    }
    open.delete(controller);
  };
  if (STEP_MS > 0) setInterval(() => [...open.keys()].forEach(step), STEP_MS);
  const server = await serveHttp({ port: 0, hostname: "127.0.0.1" }, async (request) => {
    await request.text();
    const body = new ReadableStream<Uint8Array>(
      STEP_MS > 0 ? { start: (controller) => void open.set(controller, 0) } : {
        start: (controller) => void open.set(controller, 0),
        pull: (controller) => step(controller),
      },
    );
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  });
  console.log(`${server.url}/v1`);
}

// ---- processes ----

function firstLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  return (async () => {
    let text = "";
    while (!text.includes("\n")) {
      const next = await reader.read();
      if (next.done) throw new Error("the process exited before printing its URL");
      text += next.value;
    }
    reader.releaseLock();
    return text.split("\n")[0].trim();
  })();
}

function start(command: string[]): { process: Deno.ChildProcess; url: Promise<string> } {
  const child = new Deno.Command(command[0], {
    args: command.slice(1),
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  return { process: child, url: firstLine(child.stdout) };
}

/** CPU time of every thread of `pid`, in nanoseconds. */
function cpuNs(pid: number): number {
  return readdirSync(`/proc/${pid}/task`).reduce((sum, task) => {
    try {
      return sum +
        Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, "utf8").split(" ")[0]);
    } catch {
      return sum; // the thread ended between the listing and the read
    }
  }, 0);
}

function peakRssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) =>
    l.startsWith("VmHWM:")
  );
  return Number(line?.split(/\s+/)[1] ?? 0) / 1024;
}

// ---- the client ----

interface Sample {
  firstDeltaMs: number;
  totalMs: number;
}

/** One streamed request; resolves when the stream ends, checking every token arrived. */
async function request(url: string, body: unknown, proxied: boolean): Promise<Sample> {
  const started = performance.now();
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok || !response.body) throw new Error(`${url}: HTTP ${response.status}`);
  let deltas = 0;
  let firstDeltaMs = 0;
  const parser = createParser({
    onEvent(message) {
      if (message.data === "[DONE]") return;
      const event = JSON.parse(message.data);
      const delta = proxied
        ? event.type === "response.output_text.delta"
        : typeof event.choices?.[0]?.delta?.content === "string";
      if (delta && deltas++ === 0) firstDeltaMs = performance.now() - started;
    },
  });
  const decoder = new TextDecoder();
  for await (const bytes of response.body) parser.feed(decoder.decode(bytes, { stream: true }));
  if (deltas !== CHUNKS) throw new Error(`${url}: ${deltas} text deltas, expected ${CHUNKS}`);
  return { firstDeltaMs, totalMs: performance.now() - started };
}

interface Row {
  clients: number;
  path: string;
  requestsPerSecond: number;
  firstDeltaP50: number;
  p50: number;
  p99: number;
  cpuUsPerChunk?: number;
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** `clients` loops of `each` sequential requests at once; the rates of the whole run. */
async function load(
  target: { path: string; url: string; body: unknown; proxied: boolean; pid?: number },
  clients: number,
  each: number,
): Promise<Row> {
  const cpuBefore = target.pid ? cpuNs(target.pid) : 0;
  const started = performance.now();
  const samples = (await Promise.all(
    Array.from({ length: clients }, async () => {
      const mine: Sample[] = [];
      for (let i = 0; i < each; i++) {
        mine.push(await request(target.url, target.body, target.proxied));
      }
      return mine;
    }),
  )).flat();
  const seconds = (performance.now() - started) / 1000;
  const cpu = target.pid ? cpuNs(target.pid) - cpuBefore : 0;
  return {
    clients,
    path: target.path,
    requestsPerSecond: samples.length / seconds,
    firstDeltaP50: quantile(samples.map((s) => s.firstDeltaMs), 0.5),
    p50: quantile(samples.map((s) => s.totalMs), 0.5),
    p99: quantile(samples.map((s) => s.totalMs), 0.99),
    ...(target.pid ? { cpuUsPerChunk: cpu / 1000 / (samples.length * CHUNKS) } : {}),
  };
}

// ---- the run ----

if (values.backend) {
  await runBackend();
} else {
  const binary = join(root, "dist", "tscodex");
  const runtime = values.serve ?? (existsSync(binary) ? "binary" : "bun");
  const serveCommand: Record<string, string[]> = {
    binary: [binary],
    bun: [
      join(root, "node_modules", ".bin", "bun"),
      ...(values.profile ? ["--cpu-prof-md", `--cpu-prof-dir=${values.profile}`] : []),
      join(root, "main.ts"),
    ],
    deno: [Deno.execPath(), "run", "-A", join(root, "main.ts")],
  };
  if (!serveCommand[runtime]) throw new Error(`--serve ${runtime}: expected binary, bun or deno`);
  if (values.profile && runtime !== "bun") throw new Error("--profile needs --serve bun");
  const backend = start([
    Deno.execPath(),
    "run",
    "-A",
    fileURLToPath(import.meta.url),
    "--backend",
    "--chunks",
    String(CHUNKS),
    "--step-ms",
    String(STEP_MS),
  ]);
  const backendUrl = await backend.url;
  const serve = start([
    ...serveCommand[runtime],
    "serve",
    "--listen",
    "127.0.0.1:0",
    "--downstream",
    backendUrl,
  ]);
  const serveUrl = await serve.url;
  const direct = {
    path: "direct",
    url: `${backendUrl}/chat/completions`,
    body: { model: "m", messages: [{ role: "user", content: "hi" }], stream: true },
    proxied: false,
  };
  const proxied = {
    path: `serve (${runtime})`,
    url: `${serveUrl}/responses`,
    body: { model: "m", input: "hi", stream: true },
    proxied: true,
    pid: serve.process.pid,
  };
  const before = loadavg()[0];
  // Warm-up: connections, JIT.
  await load(direct, WIDE, Number(values.warmup));
  await load(proxied, WIDE, Number(values.warmup));
  const rows: Row[] = [];
  const widths = values.only ? [Number(values.only)] : [1, WIDE];
  for (const clients of widths) {
    const each = clients === 1 ? Number(values.single) : Number(values.rounds);
    rows.push(await load(direct, clients, each), await load(proxied, clients, each));
  }
  const rss = peakRssMb(serve.process.pid);
  const after = loadavg()[0];
  serve.process.kill("SIGTERM");
  backend.process.kill("SIGTERM");
  await Promise.all([serve.process.status, backend.process.status]);

  const ms = (n: number) => `${n.toFixed(1)} ms`;
  console.log(
    `${new Date().toISOString().slice(0, 10)}, ${cpus().length} × ${cpus()[0]?.model.trim()}, ` +
      `${CHUNKS} chunks per answer, decode step ${STEP_MS} ms, serve as ${runtime}, ` +
      `load average ${before.toFixed(1)} → ${after.toFixed(1)}\n`,
  );
  console.log(
    "| clients | path | requests/s | first text delta p50 | latency p50 | latency p99 | serve CPU per chunk |",
  );
  console.log("| --- | --- | --- | --- | --- | --- | --- |");
  for (const row of rows) {
    console.log(
      `| ${row.clients} | ${row.path} | ${row.requestsPerSecond.toFixed(1)} | ` +
        `${ms(row.firstDeltaP50)} | ${ms(row.p50)} | ${ms(row.p99)} | ` +
        `${row.cpuUsPerChunk === undefined ? "" : `${row.cpuUsPerChunk.toFixed(1)} µs`} |`,
    );
  }
  for (const clients of widths) {
    const [d, s] = rows.filter((r) => r.clients === clients);
    console.log(
      `\n${clients} client(s): throughput ${
        (s.requestsPerSecond / d.requestsPerSecond).toFixed(2)
      }× ` +
        `direct, first text delta +${(s.firstDeltaP50 - d.firstDeltaP50).toFixed(2)} ms`,
    );
  }
  console.log(`serve peak RSS ${rss.toFixed(1)} MiB`);
}
