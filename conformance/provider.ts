// Provider grading: replays the request bodies upstream Codex sent (as recorded in the fixtures)
// against a live Responses endpoint and grades every answer. The report card says, per request,
// which checks failed and how long the first byte and the whole stream took.
import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { readSse } from "../src/protocol/mod.ts";
import { readFixture } from "./fixtures.ts";
import { type Check, gradeStream, type Observation } from "./grade.ts";
import { preview } from "./report.ts";

export interface ReplayTarget {
  /** The endpoint's base, e.g. `http://127.0.0.1:8080/v1`; `/responses` is appended. */
  baseUrl: string;
  apiKey?: string;
  /** Replaces the recorded `model`. */
  model?: string;
  timeoutMs?: number;
}

/** Sends one body and records the stream as it arrives. */
export async function observe(target: ReplayTarget, body: unknown): Promise<Observation> {
  const started = performance.now();
  let firstByte: number | null = null;
  const since = () => performance.now() - started;
  const sent = target.model && body && typeof body === "object"
    ? { ...body, model: target.model }
    : body;
  let response: Response;
  try {
    response = await fetch(`${target.baseUrl}/responses`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "text/event-stream",
        ...(target.apiKey ? { authorization: `Bearer ${target.apiKey}` } : {}),
      },
      body: JSON.stringify(sent),
      signal: AbortSignal.timeout(target.timeoutMs ?? 300_000),
    });
  } catch (err) {
    return {
      status: 0,
      contentType: "",
      ttfbMs: null,
      totalMs: since(),
      events: [],
      errorText: (err as Error).message,
    };
  }
  const contentType = response.headers.get("content-type") ?? "";
  if (response.status !== 200 || !response.body) {
    const text = await response.text().catch(() => "");
    return {
      status: response.status,
      contentType,
      ttfbMs: since(),
      totalMs: since(),
      events: [],
      errorText: text,
    };
  }
  const marked = response.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        firstByte ??= since();
        controller.enqueue(chunk);
      },
    }),
  );
  const events: unknown[] = [];
  let errorText: string | undefined;
  try {
    for await (const message of readSse(marked)) {
      try {
        events.push(JSON.parse(message.data));
      } catch {
        events.push(message.data);
      }
    }
  } catch (err) {
    errorText = `stream broke off: ${(err as Error).message}`;
  }
  return {
    status: response.status,
    contentType,
    ttfbMs: firstByte,
    totalMs: since(),
    events,
    errorText,
  };
}

export interface ProviderResult {
  /** `scenario/run-N/NNN`: where the body was recorded. */
  request: string;
  status: number;
  ttfbMs: number | null;
  totalMs: number;
  checks: Check[];
}

export interface ProviderCard {
  baseUrl: string;
  model?: string;
  upstream: string;
  results: ProviderResult[];
}

/** The distinct request bodies of the recorded scenarios, labelled by where they come from. */
export async function recordedBodies(
  fixturesDir: string,
  upstream: string,
  only: string[] = [],
): Promise<Array<{ request: string; body: Record<string, unknown> }>> {
  const dir = join(fixturesDir, "upstream", upstream);
  if (!existsSync(dir)) throw new Error(`no fixtures for upstream ${upstream} in ${fixturesDir}`);
  const seen = new Set<string>();
  const out = [];
  for (const scenario of (await readdir(dir)).sort()) {
    if (only.length && !only.includes(scenario)) continue;
    const { recording } = await readFixture(join(dir, scenario));
    for (const [r, run] of recording.runs.entries()) {
      for (const [q, request] of run.requests.entries()) {
        if (request.method !== "POST" || !/\/responses$/.test(request.path)) continue;
        const key = JSON.stringify(request.body);
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({
          request: `${scenario}/run-${r + 1}/${String(q + 1).padStart(3, "0")}`,
          body: request.body as Record<string, unknown>,
        });
      }
    }
  }
  return out;
}

export interface GradeOptions extends ReplayTarget {
  fixturesDir: string;
  upstream: string;
  only?: string[];
  log?: (line: string) => void;
}

export async function gradeProvider(options: GradeOptions): Promise<ProviderCard> {
  const results: ProviderResult[] = [];
  for (
    const { request, body } of await recordedBodies(
      options.fixturesDir,
      options.upstream,
      options.only,
    )
  ) {
    options.log?.(`replaying ${request}`);
    const observation = await observe(options, body);
    results.push({
      request,
      status: observation.status,
      ttfbMs: observation.ttfbMs,
      totalMs: observation.totalMs,
      checks: gradeStream(body, observation),
    });
  }
  return { baseUrl: options.baseUrl, model: options.model, upstream: options.upstream, results };
}

const ms = (value: number | null) => (value === null ? "—" : `${Math.round(value)} ms`);

export function renderProviderMarkdown(card: ProviderCard): string {
  const ok = card.results.filter((r) => r.checks.every((c) => c.ok)).length;
  const names = [...new Set(card.results.flatMap((r) => r.checks.map((c) => c.name)))];
  const lines = [
    `# Provider report card: ${card.baseUrl}${card.model ? ` (model ${card.model})` : ""}`,
    "",
    `${ok} of ${card.results.length} replayed requests (recorded from upstream ${card.upstream}) pass every check.`,
    "",
    "| check | passed | failed |",
    "|---|---|---|",
    ...names.map((name) => {
      const all = card.results.flatMap((r) => r.checks.filter((c) => c.name === name));
      return `| ${name} | ${all.filter((c) => c.ok).length} | ${all.filter((c) => !c.ok).length} |`;
    }),
    "",
    "| request | HTTP | first byte | total | failed checks |",
    "|---|---|---|---|---|",
  ];
  for (const r of card.results) {
    const failed = r.checks.filter((c) => !c.ok).map((c) =>
      `${c.name}: ${preview(c.detail ?? "", 120)}`
    );
    lines.push(
      `| ${r.request} | ${r.status || "—"} | ${ms(r.ttfbMs)} | ${ms(r.totalMs)} | ${
        failed.join("<br>") || "✓"
      } |`,
    );
  }
  return lines.join("\n") + "\n";
}

export function renderProviderJson(card: ProviderCard): string {
  return JSON.stringify(card, null, 2) + "\n";
}
