// The only module that may branch on the JavaScript runtime. Everything else uses Web-standard
// APIs and `node:` built-ins, so the same sources run under Deno (tests, `deno compile`) and Bun
// (`bun build --compile`, the offline single binary).
import process from "node:process";

export type Runtime = "deno" | "bun" | "node";

/** The server half of a WebSocket as Deno hands it out: the Web standard `WebSocket`. */
interface DenoSocket {
  readonly readyState: number;
  binaryType: "blob" | "arraybuffer";
  onopen: (() => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: (() => void) | null;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
}

interface DenoLike {
  args: string[];
  execPath(): string;
  upgradeWebSocket(
    request: Request,
    options?: { idleTimeout?: number },
  ): { socket: DenoSocket; response: Response };
  serve(
    options: {
      port: number;
      hostname: string;
      signal?: AbortSignal;
      onListen?: (addr: { port: number; hostname: string }) => void;
      onError?: (err: unknown) => Response;
    },
    handler: (request: Request) => Response | Promise<Response>,
  ): { finished: Promise<void>; addr: { port: number; hostname: string } };
}

/** Bun's server-side WebSocket; `data` is what `upgrade` was given. */
interface BunSocket {
  data: SocketHandlers;
  send(data: string | Uint8Array): number;
  close(code?: number, reason?: string): void;
}

interface BunServer {
  port: number;
  hostname: string;
  stop(closeActive?: boolean): Promise<void> | void;
  upgrade(request: Request, options: { data: SocketHandlers }): boolean;
}

interface BunLike {
  /** Files given to `bun build --compile` beside the entry point (absent outside a binary). */
  embeddedFiles?: ReadonlyArray<Blob & { name?: string }>;
  serve(options: {
    port: number;
    hostname: string;
    idleTimeout?: number;
    development?: boolean;
    fetch: (
      request: Request,
      server: BunServer,
    ) => Response | undefined | Promise<Response | undefined>;
    error?: (err: Error) => Response;
    websocket: {
      open(ws: BunSocket): void;
      message(ws: BunSocket, message: string | Uint8Array): void;
      close(ws: BunSocket, code: number, reason: string): void;
    };
  }): BunServer;
}

const globals = globalThis as unknown as { Deno?: DenoLike; Bun?: BunLike };

export function runtime(): Runtime {
  if (globals.Bun) return "bun";
  if (globals.Deno) return "deno";
  return "node";
}

/** Command-line arguments after the program name, whatever the runtime or compile mode. */
export function programArgs(): string[] {
  if (globals.Deno) return [...globals.Deno.args];
  return process.argv.slice(2);
}

export interface ServeOptions {
  /** 0 picks an ephemeral port. */
  port: number;
  hostname: string;
}

export interface RunningServer {
  readonly port: number;
  readonly hostname: string;
  readonly url: string;
  close(): Promise<void>;
}

/** The server could not listen on the address it was given: the name did not resolve, or the OS refused. */
export class ListenError extends Error {
  constructor(readonly hostname: string, readonly port: number, detail: string) {
    super(`cannot listen on ${hostname}:${port}: ${detail}`);
    this.name = "ListenError";
  }
}

/** The requested port is taken. `hint` names the option that picks another one. */
export class AddressInUseError extends ListenError {
  constructor(hostname: string, port: number, hint?: string) {
    super(hostname, port, `the port is already in use${hint ? `; ${hint}` : ""}`);
    this.name = "AddressInUseError";
  }
}

function isAddressInUse(err: unknown): boolean {
  const e = err as { code?: string; name?: string; message?: string };
  return e?.code === "EADDRINUSE" || e?.name === "AddrInUse" ||
    /address already in use|EADDRINUSE/i.test(String(e?.message ?? ""));
}

/**
 * Whether `hostname` is a loopback address: an IPv4 literal in 127.0.0.0/8, `::1` (in any
 * spelling), or `localhost`. A name that merely starts with `127.` is not one.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  if (host === "localhost") return true;
  if (/^127(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(host)) return true;
  // IPv6: every group zero but the last, which is 1 (`::1`, `0:0:0:0:0:0:0:1`, `::0001`).
  if (!host.includes(":") || !/^[0-9a-f:]+$/.test(host)) return false;
  const halves = host.split("::");
  if (halves.length > 2) return false;
  const groups = halves.flatMap((half) => (half ? half.split(":") : []));
  const full = halves.length === 2 ? groups.length < 8 : groups.length === 8;
  return full && groups.every((g) => /^[0-9a-f]{1,4}$/.test(g)) &&
    groups.slice(0, -1).every((g) => Number.parseInt(g, 16) === 0) &&
    Number.parseInt(groups[groups.length - 1], 16) === 1;
}

/**
 * What a handler that threw is answered with: a JSON error, never the runtime's own error page
 * (Bun's development page shows source lines and the server's folder).
 */
function internalError(): Response {
  return Response.json({
    error: {
      message: "internal server error; the request could not be handled",
      type: "server_error",
      code: "internal_error",
    },
  }, { status: 500 });
}

/** Serves a Web-standard fetch handler over real HTTP on the given address. */
export function serveHttp(
  options: ServeOptions,
  handler: (request: Request) => Response | Promise<Response>,
): Promise<RunningServer> {
  const { hostname } = options;
  const urlFor = (port: number) =>
    `http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;
  try {
    if (globals.Bun) {
      // idleTimeout 0: SSE streams may legitimately stay quiet for minutes (scripted stalls).
      const server = globals.Bun.serve({
        port: options.port,
        hostname,
        idleTimeout: 0,
        development: false,
        fetch: async (request, server) => {
          bunServers.set(request, server);
          const response = await handler(request);
          // An upgraded request is answered by Bun itself, with 101.
          return upgraded.has(response) ? undefined : response;
        },
        error: internalError,
        websocket: {
          open: (ws) => ws.data.open(bunSocket(ws)),
          message: (ws, message) => ws.data.message(message),
          close: (ws, code, reason) => ws.data.close(code, reason),
        },
      });
      return Promise.resolve({
        port: server.port,
        hostname,
        url: urlFor(server.port),
        close: async () => {
          await server.stop(true);
        },
      });
    }
    if (globals.Deno) {
      const abort = new AbortController();
      const server = globals.Deno.serve(
        {
          port: options.port,
          hostname,
          signal: abort.signal,
          onListen: () => {},
          onError: internalError,
        },
        handler,
      );
      return Promise.resolve({
        port: server.addr.port,
        hostname,
        url: urlFor(server.addr.port),
        close: async () => {
          abort.abort();
          await server.finished;
        },
      });
    }
  } catch (err) {
    if (isAddressInUse(err)) return Promise.reject(new AddressInUseError(hostname, options.port));
    const detail = (err as Error)?.message ?? String(err);
    return Promise.reject(new ListenError(hostname, options.port, detail));
  }
  return Promise.reject(new Error("tscodex needs Deno or Bun to serve HTTP"));
}

/** A server-side WebSocket, the same under every runtime. */
export interface ServerSocket {
  /** Text goes as a text message, bytes as a binary one. */
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
}

/** What a WebSocket's owner is told; `open` comes first, `close` last and once. */
export interface SocketHandlers {
  open(socket: ServerSocket): void;
  message(data: string | Uint8Array): void;
  close(code: number, reason: string): void;
}

/** Whether `request` asks to be upgraded to a WebSocket. */
export function isWebSocketUpgrade(request: Request): boolean {
  return request.method === "GET" &&
    request.headers.get("upgrade")?.toLowerCase() === "websocket";
}

// Bun upgrades through the server object its fetch handler is given; the handler that decides to
// upgrade sees only the request, so the server is looked up by request.
const bunServers = new WeakMap<Request, BunServer>();
// The responses that stand for "upgraded": Bun wants no Response at all for those.
const upgraded = new WeakSet<Response>();

function bunSocket(ws: BunSocket): ServerSocket {
  return {
    send: (data) => void ws.send(data),
    close: (code, reason) => ws.close(code, reason),
  };
}

/**
 * Upgrades `request` (one `isWebSocketUpgrade` accepts, received by `serveHttp`) to a WebSocket
 * driven by `handlers`; the handler must answer the request with the returned response.
 */
export function upgradeWebSocket(request: Request, handlers: SocketHandlers): Response {
  const bunServer = bunServers.get(request);
  if (bunServer) {
    if (!bunServer.upgrade(request, { data: handlers })) {
      return new Response("WebSocket upgrade failed", { status: 400 });
    }
    const response = new Response(null, { status: 200 });
    upgraded.add(response);
    return response;
  }
  if (!globals.Deno) throw new Error("tscodex needs Deno or Bun to serve WebSockets");
  const { socket, response } = globals.Deno.upgradeWebSocket(request);
  socket.binaryType = "arraybuffer";
  const OPEN = 1;
  socket.onopen = () =>
    handlers.open({
      // Deno throws on a send after the peer left; Bun drops it. Dropping is what callers expect.
      send: (data) => socket.readyState === OPEN && socket.send(data),
      close: (code, reason) => socket.close(code, reason),
    });
  socket.onmessage = (event) =>
    handlers.message(
      typeof event.data === "string" ? event.data : new Uint8Array(event.data as ArrayBuffer),
    );
  socket.onclose = (event) => handlers.close(event.code, event.reason);
  // An error is followed by a close event, which says all there is to say.
  socket.onerror = () => {};
  return response;
}

/**
 * The bytes of a file embedded in this compiled binary under `name` (its base name), or
 * `undefined` when running from sources or when the binary carries no such file.
 */
export async function embeddedFile(name: string): Promise<Uint8Array | undefined> {
  const file = globals.Bun?.embeddedFiles?.find((f) => f.name === name);
  return file ? new Uint8Array(await file.arrayBuffer()) : undefined;
}

export function exit(code: number): never {
  process.exit(code);
}

/**
 * Ends the process once what it wrote to stdout and stderr has left it. Bun takes writes to a
 * pipe asynchronously and reports nothing pending, and exit() drops whatever a slow reader has not
 * taken yet (a `--json` line of a large command output arrived cut at 64 KiB); ending a stream
 * calls back once it is flushed. Stdout goes first, so that a failure to flush it (a full disk)
 * can still be reported on stderr by its error listener. Deno and Node write synchronously here.
 */
export async function exitAfterOutput(code: number): Promise<never> {
  if (globals.Bun) {
    for (const stream of [process.stdout, process.stderr]) {
      await new Promise<void>((resolve) => {
        if (stream.destroyed || stream.writableEnded) return resolve();
        stream.once("error", () => resolve());
        stream.end(() => resolve());
      });
    }
  }
  return exit(code);
}

/**
 * The argv that runs `script` (a module among the sources) in a new process of this runtime. A
 * compiled binary has no sources to point at, so it runs itself with `subcommand` instead, which
 * must lead to the same code. Under Deno the script is denied every permission: whatever it needs
 * from outside, it asks its parent for over stdio.
 */
export function scriptCommand(script: URL, subcommand: string): string[] {
  const executable = globals.Deno ? globals.Deno.execPath() : process.execPath;
  const name = executable.split(/[\\/]/).pop() ?? "";
  if (!/^(deno|bun|node)(\.exe)?$/i.test(name)) return [executable, subcommand];
  const path = process.getBuiltinModule("node:url").fileURLToPath(script);
  // Explicit denials: Deno's node:child_process grants all permissions to a child that is
  // Deno itself unless told otherwise, and a denial outranks any grant.
  const denied = ["read", "write", "net", "env", "run", "ffi", "sys"].map((p) => `--deny-${p}`);
  if (globals.Deno) {
    return [executable, "run", "--no-config", "--no-prompt", "--quiet", ...denied, path];
  }
  return [executable, path];
}

export { FileError, ioCause, ioHint } from "./io.ts";
