// Provider grading: sends the recorded Codex requests and the generic specification set to a live
// Responses endpoint, grades every answer, and times it. The card lists, per request, every check
// with its evidence, time to first byte and total time.
import { readSse } from "../src/protocol/mod.ts";
import { type Check, gradeExchange, type Observation } from "./grade.ts";
import {
  type Job,
  type Probe,
  recordedModel,
  recordedProbes,
  specJobs,
  type Step,
} from "./probes.ts";

export interface ReplayTarget {
  /** The endpoint's base, e.g. `http://127.0.0.1:8080/v1`; `/responses` is appended. */
  baseUrl: string;
  apiKey?: string;
  /** Replaces the `model` of every request. */
  model?: string;
  timeoutMs?: number;
}

type Json = Record<string, unknown>;

function withModel(body: unknown, model: string | undefined): unknown {
  return model && body !== null && typeof body === "object" && !Array.isArray(body)
    ? { ...(body as Json), model }
    : body;
}

/** Sends one request and records the answer as it arrives. */
export async function observe(target: ReplayTarget, probe: Probe): Promise<Observation> {
  const started = performance.now();
  let firstByte: number | null = null;
  const since = () => performance.now() - started;
  const timeoutMs = target.timeoutMs ?? 300_000;
  const why = (err: unknown) =>
    (err as Error).name === "TimeoutError"
      ? `no complete answer within ${timeoutMs / 1000} s`
      : (err as Error).message;
  const body = typeof probe.body === "string"
    ? probe.body
    : JSON.stringify(withModel(probe.body, target.model));
  let response: Response;
  try {
    response = await fetch(`${target.baseUrl}${probe.path}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: probe.expect === "stream" ? "text/event-stream" : "application/json",
        ...(target.apiKey ? { authorization: `Bearer ${target.apiKey}` } : {}),
      },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const cause = (err as { cause?: Error }).cause?.message;
    return {
      status: 0,
      contentType: "",
      ttfbMs: null,
      totalMs: since(),
      events: [],
      errorText: `${why(err)}${cause ? ` (${cause})` : ""}`,
    };
  }
  const contentType = response.headers.get("content-type") ?? "";
  const source = response.body?.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        firstByte ??= since();
        controller.enqueue(chunk);
      },
    }),
  );
  const events: unknown[] = [];
  let errorText: string | undefined;
  let answer: unknown;
  try {
    // A stream under the wrong content-type is still read as one, so that the content-type is
    // the only thing graded wrong.
    const sse = /^text\/event-stream/i.test(contentType) ||
      (probe.expect === "stream" && response.status === 200 && !/json/i.test(contentType));
    if (source && sse) {
      for await (const message of readSse(source)) {
        try {
          events.push(JSON.parse(message.data));
        } catch {
          events.push(message.data);
        }
      }
    } else if (source) {
      const text = await new Response(source).text();
      try {
        answer = JSON.parse(text);
      } catch {
        answer = text;
      }
    }
  } catch (err) {
    errorText = `the answer broke off: ${why(err)}`;
  }
  return {
    status: response.status,
    contentType,
    ttfbMs: firstByte,
    totalMs: since(),
    events,
    ...(answer !== undefined ? { body: answer } : {}),
    ...(errorText ? { errorText } : {}),
  };
}

export interface ProviderResult {
  id: string;
  source: Probe["source"];
  about: string;
  path: Probe["path"];
  expect: Probe["expect"];
  /** The body as sent (a string when it was malformed on purpose). */
  request: unknown;
  status: number;
  ttfbMs: number | null;
  totalMs: number;
  checks: Check[];
}

export interface ProviderCard {
  baseUrl: string;
  /** What was graded: the endpoint itself, or serve started in front of a chat/messages backend. */
  api: "responses" | "chat" | "messages";
  model?: string;
  upstream: string;
  startedAt: string;
  durationMs: number;
  results: ProviderResult[];
}

export interface GradeOptions extends ReplayTarget {
  fixturesDir: string;
  upstream: string;
  /** Only these recorded scenarios (the generic set is always sent). */
  only?: string[];
  /** The endpoint as the report names it (the backend's URL when grading through serve). */
  label?: string;
  api?: ProviderCard["api"];
  /** How many conversations run at once; 1 by default. */
  parallel?: number;
  /** Called after each request with the count done so far. */
  progress?: (done: number, total: number, last: ProviderResult) => void;
}

export const passedAll = (result: ProviderResult) => result.checks.every((c) => c.ok);

/** Runs `jobs` with at most `parallel` at once; results in job order, steps in order. */
async function runJobs(
  jobs: Job[],
  parallel: number,
  run: (probe: Probe) => Promise<Observation>,
  onStep: (probe: Probe, observation: Observation) => ProviderResult,
): Promise<ProviderResult[]> {
  const results: ProviderResult[][] = jobs.map(() => []);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const index = next++;
      const earlier: Step[] = [];
      for (const build of jobs[index]) {
        const probe = build(earlier);
        const observation = await run(probe);
        earlier.push({ probe, observation });
        results[index].push(onStep(probe, observation));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, jobs.length)) }, worker));
  return results.flat();
}

export async function gradeProvider(options: GradeOptions): Promise<ProviderCard> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const recorded = await recordedProbes(options.fixturesDir, options.upstream, options.only);
  const model = options.model ?? recordedModel(recorded) ?? "gpt-5.1-codex";
  const jobs: Job[] = [...recorded.map((probe): Job => [() => probe]), ...specJobs(model)];
  const total = jobs.reduce((n, job) => n + job.length, 0);
  let done = 0;
  const results = await runJobs(
    jobs,
    options.parallel ?? 1,
    (probe) => observe(options, probe),
    (probe, observation) => {
      const result: ProviderResult = {
        id: probe.id,
        source: probe.source,
        about: probe.about,
        path: probe.path,
        expect: probe.expect,
        request: withModel(probe.body, options.model),
        status: observation.status,
        ttfbMs: observation.ttfbMs,
        totalMs: observation.totalMs,
        checks: gradeExchange(probe.body, probe.expect, observation),
      };
      options.progress?.(++done, total, result);
      return result;
    },
  );
  return {
    baseUrl: options.label ?? options.baseUrl,
    api: options.api ?? "responses",
    ...(options.model ? { model: options.model } : {}),
    upstream: options.upstream,
    startedAt,
    durationMs: performance.now() - started,
    results,
  };
}
