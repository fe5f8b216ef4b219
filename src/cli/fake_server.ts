// `tscodex fake-server`: serve a scenario until stopped.
import { mkdirSync } from "node:fs";
import process from "node:process";
import {
  DEMO_SCENARIO,
  FakeResponsesServer,
  InvalidRequestsError,
  loadScenario,
} from "../fake/mod.ts";
import { AddressInUseError, FileError } from "../platform/mod.ts";
import { checkListen, type ListenRules } from "./listen.ts";

export interface FakeServerOptions {
  scenario?: string;
  port: string;
  host: string;
  allowRemote?: boolean;
  record?: string;
}

export async function runFakeServer(options: FakeServerOptions): Promise<number> {
  const scenario = options.scenario ? await loadScenario(options.scenario) : DEMO_SCENARIO;
  const address = { hostname: options.host, port: Number(options.port) };
  const rules: ListenRules = {
    option: `--host ${options.host}`,
    allowRemote: options.allowRemote === true,
    portHint: "pick another with --port, or --port 0 for any free one",
  };
  await checkListen(address, rules);
  if (options.record) {
    // Checked now rather than at the first request, which would fail where nobody sees it.
    try {
      mkdirSync(options.record, { recursive: true });
    } catch (err) {
      throw new FileError("create the --record folder", options.record, err);
    }
  }
  const server = new FakeResponsesServer(scenario, { recordDir: options.record });
  try {
    await server.start(address.port, address.hostname);
  } catch (err) {
    if (err instanceof AddressInUseError) {
      throw new AddressInUseError(address.hostname, address.port, rules.portHint);
    }
    throw err;
  }
  process.stdout.write(`${server.baseUrl}\n`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  try {
    await server.close();
  } catch (err) {
    // The client was answered with a 400 each time; the exit status tells whoever ran the server.
    if (!(err instanceof InvalidRequestsError)) throw err;
    process.stderr.write(`fake-server: ${err.message}\n`);
    return 1;
  }
  return 0;
}
