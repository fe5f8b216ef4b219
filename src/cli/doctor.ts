// `tscodex doctor`: checks, in the order a request depends on them, that the configured provider
// can be reached — config, .env, provider, API key, DNS, TCP/TLS, then one live request.
import { lookup } from "node:dns/promises";
import { existsSync } from "node:fs";
import { connect as tcpConnect } from "node:net";
import { join } from "node:path";
import process from "node:process";
import { connect as tlsConnect } from "node:tls";
import { codexHome, type Config, loadConfig, type SandboxMode } from "../config/mod.ts";
import { ResponsesClient, sample } from "../model/mod.ts";
import { type MessageItem, messageText } from "../protocol/mod.ts";
import { sandboxSupport } from "../tools/mod.ts";

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface DoctorOptions {
  json?: boolean;
  skipLive?: boolean;
  timeoutMs?: number;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function openSocket(url: URL, timeoutMs: number): Promise<string> {
  const secure = url.protocol === "https:";
  const port = Number(url.port || (secure ? 443 : 80));
  const host = url.hostname.replace(/^\[|\]$/g, "");
  return withTimeout(
    new Promise<string>((resolve, reject) => {
      const socket = secure
        ? tlsConnect({ host, port, servername: host }, () => {
          socket.end();
          resolve(`TLS to ${host}:${port} established`);
        })
        : tcpConnect({ host, port }, () => {
          socket.end();
          resolve(`TCP connection to ${host}:${port} established`);
        });
      socket.on(
        "error",
        (err) => reject(new Error(`cannot connect to ${host}:${port}: ${err.message}`)),
      );
    }),
    timeoutMs,
    `connecting to ${host}:${port}`,
  );
}

async function liveRequest(config: Config, timeoutMs: number): Promise<string> {
  const client = new ResponsesClient({
    ...config.provider,
    requestMaxRetries: 0,
    streamIdleTimeoutMs: timeoutMs,
  });
  const body = {
    model: config.model,
    instructions: "You are a connectivity check.",
    input: [{
      type: "message",
      role: "user",
      content: [{ type: "input_text", text: "Reply with exactly OK." }],
    }],
    tools: [],
    store: false,
    stream: true,
  };
  const result = await sample(client, { body, headers: { originator: "tscodex_doctor" } }, {
    maxRetries: 0,
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = result.items.filter((i): i is MessageItem => i.type === "message").map(messageText)
    .join("").trim();
  return `model ${config.model} answered ${JSON.stringify(text.slice(0, 60))}`;
}

/** Runs every check; later checks that depend on a failed one report why they were not run. */
export async function runChecks(options: DoctorOptions = {}): Promise<Check[]> {
  return [...await providerChecks(options), sandboxCheck()];
}

/**
 * Whether model commands can run in the configured sandbox: bubblewrap present and able to
 * create its namespaces. Without it every command fails (never runs unsandboxed), so it fails
 * here too, unless the configured mode needs no sandbox.
 */
function sandboxCheck(): Check {
  let mode: SandboxMode = "read-only";
  try {
    mode = loadConfig({ home: codexHome() })?.sandboxMode ?? mode;
  } catch {
    // The provider check reports a broken config.
  }
  const support = sandboxSupport();
  if (mode === "danger-full-access") {
    const note = support.ok ? `bubblewrap at ${support.bwrap}` : support.problem;
    return { name: "sandbox", ok: true, detail: `off (sandbox_mode = ${mode}); ${note}` };
  }
  if (!support.ok) return { name: "sandbox", ok: false, detail: support.problem };
  const proc = support.mountProc ? "" : ", without a private /proc";
  return {
    name: "sandbox",
    ok: true,
    detail: `${mode} with bubblewrap at ${support.bwrap}${proc}`,
  };
}

async function providerChecks(options: DoctorOptions): Promise<Check[]> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const checks: Check[] = [];
  const add = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
  const home = codexHome();
  const file = join(home, "config.toml");
  add(
    "config",
    existsSync(file),
    existsSync(file) ? file : `no ${file} (exec would run the offline demo)`,
  );
  const dotenv = join(home, ".env");
  add("dotenv", true, existsSync(dotenv) ? dotenv : "missing (optional)");
  let config: Config | null = null;
  try {
    config = loadConfig({ home });
    if (config) {
      add(
        "provider",
        true,
        `${config.provider.id} (${config.provider.name}) at ${config.provider.baseUrl}, model ${config.model}`,
      );
    } else add("provider", false, "no provider is configured");
  } catch (err) {
    add("provider", false, (err as Error).message);
  }
  if (!config) {
    for (const name of ["api_key", "dns", "transport", "live"]) {
      add(name, false, "skipped: no usable provider");
    }
    return checks;
  }
  const envKey = config.provider.envKey;
  add("api_key", true, envKey ? `${envKey} is set` : "the provider needs no key");
  const url = new URL(config.provider.baseUrl);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  let reachable = false;
  try {
    const address = await withTimeout(lookup(host), timeoutMs, `resolving ${host}`);
    add("dns", true, `${host} → ${address.address}`);
    const proxy = process.env.HTTPS_PROXY || process.env.HTTP_PROXY || process.env.https_proxy ||
      process.env.http_proxy;
    add(
      "transport",
      true,
      await openSocket(url, timeoutMs) + (proxy ? " (a proxy is configured)" : ""),
    );
    reachable = true;
  } catch (err) {
    const failed = checks.some((c) => c.name === "dns") ? "transport" : "dns";
    add(failed, false, (err as Error).message);
    if (failed === "dns") add("transport", false, "skipped: the host did not resolve");
  }
  if (options.skipLive) add("live", true, "skipped (--skip-live)");
  else if (!reachable) add("live", false, "skipped: the provider is not reachable");
  else {
    try {
      add("live", true, await liveRequest(config, timeoutMs));
    } catch (err) {
      add(
        "live",
        false,
        config.provider.apiKey?.redact((err as Error).message) ?? (err as Error).message,
      );
    }
  }
  return checks;
}

export async function runDoctor(options: DoctorOptions): Promise<number> {
  const checks = await runChecks(options);
  const ok = checks.every((c) => c.ok);
  if (options.json) {
    process.stdout.write(JSON.stringify({ ok, checks }, null, 2) + "\n");
  } else {
    for (const check of checks) {
      process.stdout.write(`${check.name}: ${check.ok ? "ok" : "fail"} - ${check.detail}\n`);
    }
    process.stdout.write(`overall: ${ok ? "ok" : "fail"}\n`);
  }
  return ok ? 0 : 1;
}
