// CODEX_HOME: where config.toml, .env, sessions and the session index live.
import { statSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { ConfigError } from "./errors.ts";

export function codexHome(env: Record<string, string | undefined> = process.env): string {
  const fromEnv = env.CODEX_HOME?.trim();
  return fromEnv ? fromEnv : join(homedir(), ".codex");
}

/**
 * A CODEX_HOME that exists must be a folder (one that does not exist yet is made when needed):
 * a file there would otherwise fail later, on the first session file, with a vaguer message.
 */
export function requireFolder(home: string): void {
  let isFolder: boolean;
  try {
    isFolder = statSync(home).isDirectory();
  } catch {
    return;
  }
  if (!isFolder) {
    throw new ConfigError(
      `CODEX_HOME points to ${home}, which is not a folder; point CODEX_HOME at a folder, or ` +
        "unset it to use ~/.codex",
    );
  }
}
