// CODEX_HOME: where config.toml, .env, sessions and the session index live.
import { homedir } from "node:os";
import { join } from "node:path";
import process from "node:process";

export function codexHome(env: Record<string, string | undefined> = process.env): string {
  const fromEnv = env.CODEX_HOME?.trim();
  return fromEnv ? fromEnv : join(homedir(), ".codex");
}
