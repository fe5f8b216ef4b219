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
import { bridgeBackend } from "./setup/mod.ts";

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface DoctorOptions {
  json?: boolean;
  skipLive?: boolean;
  timeoutMs?: number;
  /** `--profile`: check the provider this profile of config.toml selects. */
  profile?: string;
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

async function liveRequest(configured: Config, timeoutMs: number): Promise<string> {
  // A chat or messages backend is asked through the same in-process proxy a session uses.
  const bridge = await bridgeBackend(configured, undefined);
  try {
    return await askForOk(bridge.config, timeoutMs);
  } finally {
    await bridge.close();
  }
}

async function askForOk(config: Config, timeoutMs: number): Promise<string> {
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
  return [...await providerChecks(options), sandboxCheck(options.profile)];
}

/** `value` as a proxy URL (http, https or socks, with a host), or undefined. */
function proxyUrl(value: string): URL | undefined {
  try {
    const url = new URL(value);
    return /^(https?|socks5h?):$/.test(url.protocol) && url.hostname ? url : undefined;
  } catch {
    return undefined;
  }
}

/** A proxy URL as it may be shown: a user name and password become `***`. */
export function redactProxy(value: string): string {
  const url = proxyUrl(value);
  if (!url) return "(not a proxy URL; the value is not shown, as it may hold a password)";
  if (url.username || url.password) {
    url.username = "***";
    url.password = url.password ? "***" : "";
  }
  return url.href.replace(/\/$/, "");
}

/** Whether NO_PROXY (`*`, or hosts and domain suffixes, ports ignored) exempts `host`. */
function exempt(host: string, noProxy: string | undefined): boolean {
  for (const entry of (noProxy ?? "").split(",").map((e) => e.trim().toLowerCase())) {
    if (!entry) continue;
    if (entry === "*") return true;
    const name = entry.replace(/:\d+$/, "").replace(/^\*?\./, "");
    if (host === name || host.endsWith(`.${name}`)) return true;
  }
  return false;
}

/** The proxy variable and value the HTTP client uses for `url`, as fetch reads them. */
export function proxyFor(
  url: URL,
  env: Record<string, string | undefined>,
): { variable: string; value: string } | undefined {
  const names = url.protocol === "https:"
    ? ["HTTPS_PROXY", "https_proxy"]
    : ["HTTP_PROXY", "http_proxy"];
  const variable = names.find((name) => env[name]?.trim());
  if (!variable) return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (exempt(host, env.NO_PROXY ?? env.no_proxy)) return undefined;
  return { variable, value: env[variable]!.trim() };
}

/** The proxy between tscodex and the provider, if any, and whether it accepts connections. */
async function proxyCheck(target: URL, timeoutMs: number): Promise<Check> {
  const proxy = proxyFor(target, process.env);
  if (!proxy) {
    return { name: "proxy", ok: true, detail: `none for ${target.host} (direct connection)` };
  }
  const shown = `${proxy.variable}=${redactProxy(proxy.value)}`;
  const url = proxyUrl(proxy.value);
  if (!url) {
    return { name: "proxy", ok: false, detail: `${shown}: set it to a URL like http://host:3128` };
  }
  try {
    await openSocket(url, timeoutMs);
    return {
      name: "proxy",
      ok: true,
      detail: `${shown} accepts connections; requests go through it`,
    };
  } catch (err) {
    const reason = (err as Error).message.replaceAll(proxy.value, redactProxy(proxy.value));
    return { name: "proxy", ok: false, detail: `${shown}: ${reason}` };
  }
}

/**
 * Whether model commands can run in the configured sandbox: bubblewrap present and able to
 * create its namespaces. Without it every command fails (never runs unsandboxed), so it fails
 * here too, unless the configured mode needs no sandbox.
 */
function sandboxCheck(profile?: string): Check {
  let mode: SandboxMode = "read-only";
  try {
    mode = loadConfig({ home: codexHome(), profile })?.sandboxMode ?? mode;
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
  const dotenv = join(home, ".env");
  let config: Config | null = null;
  let problem: string | undefined;
  try {
    config = loadConfig({ home, profile: options.profile });
  } catch (err) {
    problem = (err as Error).message;
  }
  const profile = options.profile ? ` (profile ${options.profile})` : "";
  if (existsSync(file)) add("config", true, file + profile);
  else if (config) add("config", true, `no ${file}; the environment configures the provider`);
  else {
    add(
      "config",
      false,
      `no ${file}` + (problem ? "" : ", and no CODEX_API_KEY, OPENAI_API_KEY or OPENAI_BASE_URL: " +
        "tscodex would run the offline demo"),
    );
  }
  add("dotenv", true, existsSync(dotenv) ? dotenv : "missing (optional)");
  if (config) {
    const { provider } = config;
    add(
      "provider",
      true,
      `${provider.id} (${provider.name}) at ${provider.baseUrl}, model ${config.model}` +
        (provider.wireApi === "responses" ? "" : ` (${provider.wireApi}, through a local proxy)`),
    );
  } else add("provider", false, problem ?? "no provider is configured");
  if (!config) {
    for (const name of ["api_key", "proxy", "dns", "transport", "live"]) {
      add(name, false, "skipped: no usable provider");
    }
    return checks;
  }
  const envKey = config.provider.envKey;
  add("api_key", true, envKey ? `${envKey} is set` : "the provider needs no key");
  const url = new URL(config.provider.baseUrl);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const proxy = await proxyCheck(url, timeoutMs);
  checks.push(proxy);
  let reachable = false;
  if (proxyFor(url, process.env)) {
    // Behind a proxy only the proxy needs to resolve and reach the provider.
    add("dns", true, `not resolved here: the proxy resolves ${host}`);
    add(
      "transport",
      proxy.ok,
      proxy.ok ? "through the proxy" : "skipped: the proxy is unreachable",
    );
    reachable = proxy.ok;
  } else {
    try {
      const address = await withTimeout(lookup(host), timeoutMs, `resolving ${host}`);
      add("dns", true, `${host} → ${address.address}`);
      add("transport", true, await openSocket(url, timeoutMs));
      reachable = true;
    } catch (err) {
      const failed = checks.some((c) => c.name === "dns") ? "transport" : "dns";
      add(failed, false, (err as Error).message);
      if (failed === "dns") add("transport", false, "skipped: the host did not resolve");
    }
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
