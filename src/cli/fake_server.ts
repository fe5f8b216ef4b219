// `tscodex fake-server`: serve a scenario until stopped.
import process from "node:process";
import { DEMO_SCENARIO, FakeResponsesServer, loadScenario } from "../fake/mod.ts";

export interface FakeServerOptions {
  scenario?: string;
  port: string;
  host: string;
  record?: string;
}

export async function runFakeServer(options: FakeServerOptions): Promise<number> {
  const scenario = options.scenario ? await loadScenario(options.scenario) : DEMO_SCENARIO;
  const port = Number(options.port);
  const server = new FakeResponsesServer(scenario, { recordDir: options.record });
  await server.start(port, options.host);
  process.stdout.write(`${server.baseUrl}\n`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await server.close();
  return 0;
}
