// Upstream Codex CLI: a pinned `@openai/codex` installed with npm into a cache folder, and the
// native binary inside it. The npm launcher (`bin/codex.js`) only finds that binary and execs it,
// so runs call the binary directly and avoid a Node start-up in every measurement.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import process from "node:process";

const VERSION = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)?$/;

/** `$TSCODEX_CACHE`, else `$XDG_CACHE_HOME/tscodex`, else `~/.cache/tscodex`. Never under /tmp. */
export function cacheRoot(env: Record<string, string | undefined> = process.env): string {
  if (env.TSCODEX_CACHE) return env.TSCODEX_CACHE;
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "tscodex");
}

export function upstreamDir(version: string, env = process.env): string {
  return join(cacheRoot(env), "upstream", version);
}

/** The native `codex` binary of an installed package: layouts differ between releases. */
export async function findUpstreamBinary(installDir: string): Promise<string | undefined> {
  const scope = join(installDir, "node_modules", "@openai");
  let packages: string[];
  try {
    packages = (await readdir(scope)).filter((name) => name.startsWith("codex"));
  } catch {
    return undefined;
  }
  for (const pkg of packages) {
    const vendor = join(scope, pkg, "vendor");
    let triples: string[];
    try {
      triples = await readdir(vendor);
    } catch {
      continue;
    }
    for (const triple of triples) {
      for (const candidate of [["codex", "codex"], ["bin", "codex"]]) {
        const file = join(vendor, triple, ...candidate);
        if (existsSync(file)) return file;
      }
    }
  }
  return undefined;
}

function npm(args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("npm", args, { cwd, stdio: ["ignore", "inherit", "inherit"] });
    child.on("error", (err) => reject(new Error(`cannot run npm: ${err.message}`)));
    child.on(
      "close",
      (code) => code === 0 ? resolve() : reject(new Error(`npm ${args.join(" ")} exited ${code}`)),
    );
  });
}

/** Installs `@openai/codex@version` unless it is already in the cache; returns the binary. */
export async function installUpstream(
  version: string,
  log: (line: string) => void = () => {},
): Promise<string> {
  if (!VERSION.test(version)) throw new Error(`not an exact version: ${version}`);
  const dir = upstreamDir(version);
  const found = await findUpstreamBinary(dir);
  if (found) return found;
  log(`installing @openai/codex@${version} into ${dir}`);
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, "package.json"),
    JSON.stringify({ private: true, name: "tscodex-upstream-cache" }) + "\n",
  );
  await npm(
    ["install", "--no-audit", "--no-fund", "--save-exact", `@openai/codex@${version}`],
    dir,
  );
  const binary = await findUpstreamBinary(dir);
  if (!binary) {
    throw new Error(
      `@openai/codex@${version} installed into ${dir}, but no native binary for ` +
        `${process.platform}/${process.arch} was found under node_modules/@openai/*/vendor`,
    );
  }
  return binary;
}
