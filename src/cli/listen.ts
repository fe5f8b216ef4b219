// Where `serve` and `fake-server` listen. Loopback only unless --allow-remote is given (a name
// that merely starts with `127.` is not loopback); a host name is resolved before binding, so a
// typo is a sentence rather than a runtime error; a taken port names the option that moves it.
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import {
  AddressInUseError,
  isLoopbackHost,
  type RunningServer,
  serveHttp,
} from "../platform/mod.ts";
import { UsageError } from "./exec.ts";

export interface ListenAddress {
  hostname: string;
  port: number;
}

export interface ListenRules {
  /** The option the address came from, as the user typed it (`--listen 127.0.0.1:8001`). */
  option: string;
  /** `--allow-remote`: any address, not only loopback. */
  allowRemote: boolean;
  /** How to pick another port, for the "already in use" message. */
  portHint: string;
}

/** `host:port`, `[v6]:port` or a bare port (on 127.0.0.1). */
export function parseListen(value: string, example = "127.0.0.1:8001"): ListenAddress {
  const match = /^(?:\[([^\]]+)\]|([^:\s]*)):(\d+)$/.exec(value) ?? /^()()(\d+)$/.exec(value);
  const port = Number(match?.[3]);
  if (!match || !Number.isInteger(port) || port > 65535) {
    throw new UsageError(`--listen ${value}: expected HOST:PORT, e.g. ${example}`);
  }
  return { hostname: match[1] || match[2] || "127.0.0.1", port };
}

/** Refuses a non-loopback address without --allow-remote, and a host name that does not resolve. */
export async function checkListen(address: ListenAddress, rules: ListenRules): Promise<void> {
  const { hostname } = address;
  if (!rules.allowRemote && !isLoopbackHost(hostname)) {
    throw new UsageError(
      `${rules.option}: ${hostname} is not a loopback address, so anyone on the network could ` +
        `connect; listen on 127.0.0.1, ::1 or localhost, or pass --allow-remote to mean it`,
    );
  }
  if (isIP(hostname) !== 0) return;
  try {
    await lookup(hostname);
  } catch (err) {
    const code = (err as { code?: string }).code ?? (err as Error).message;
    throw new UsageError(
      `${rules.option}: the host name ${hostname} does not resolve (${code}); ` +
        `give an IP address such as 127.0.0.1`,
    );
  }
}

/** Checks the address, then serves `handler` on it. */
export async function listen(
  address: ListenAddress,
  rules: ListenRules,
  handler: (request: Request) => Response | Promise<Response>,
): Promise<RunningServer> {
  await checkListen(address, rules);
  try {
    return await serveHttp(address, handler);
  } catch (err) {
    if (err instanceof AddressInUseError) {
      throw new AddressInUseError(address.hostname, address.port, rules.portHint);
    }
    throw err;
  }
}
