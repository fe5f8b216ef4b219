// grep_files: the files whose contents match a regular expression, most recently modified first.
// Uses ripgrep when it is on PATH (as upstream does); otherwise searches in-process with the same
// defaults: hidden files skipped, .gitignore honoured (via git when the tree is a repository),
// binary content not searched past its first NUL byte, one line at a time.
import { Buffer } from "node:buffer";
import { execFile, spawn } from "node:child_process";
import { access, constants, lstat, readdir, readFile, stat } from "node:fs/promises";
import { delimiter, join, relative, resolve } from "node:path";
import process from "node:process";
import { z } from "zod";
import { describeFsError } from "./fs_errors.ts";
import { compileGlob } from "./glob.ts";
import { defineFunctionTool, type ToolDef } from "./registry.ts";

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 2000;
const TIMEOUT_MS = 30_000;

const DESCRIPTION = "Find the files whose contents match a regular expression. Returns their " +
  "paths, one per line, most recently modified first.";

const GrepFilesArgs = z.object({
  pattern: z.string().describe("Regular expression to look for (ripgrep syntax)."),
  include: z.string().optional().describe(
    'Glob limiting which files are searched, such as "*.ts" or "src/**/*.{js,jsx}".',
  ),
  path: z.string().optional().describe(
    "File or directory to search; defaults to the working directory.",
  ),
  limit: z.number().int().nonnegative().default(DEFAULT_LIMIT).describe(
    `Most paths to return (default ${DEFAULT_LIMIT}, at most ${MAX_LIMIT}).`,
  ),
});

export interface GrepFilesOptions {
  /** Path of the rg binary; `null` forces the in-process search; absent looks rg up on PATH. */
  rgPath?: string | null;
}

class GrepError extends Error {}

async function findOnPath(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function runRg(
  rg: string,
  args: string[],
  cwd: string,
  signal: AbortSignal,
): Promise<{ code: number | null; stdout: string; stderr: string; timedOut: boolean }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(rg, args, { cwd, signal, stdio: ["ignore", "pipe", "pipe"] });
    const stdout: Uint8Array[] = [];
    const stderr: Uint8Array[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, TIMEOUT_MS);
    child.stdout.on("data", (chunk: Uint8Array) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Uint8Array) => stderr.push(chunk));
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      const text = (chunks: Uint8Array[]) => Buffer.concat(chunks).toString("utf8");
      resolvePromise({ code, stdout: text(stdout), stderr: text(stderr), timedOut });
    });
  });
}

/**
 * Orders files by modification time, newest first. rg's own `--sortr=modified` is kept for the
 * files it visits, but releases before 14 order each directory level separately, so the order is
 * settled here, the same on every rg.
 */
async function newestFirst(paths: string[]): Promise<string[]> {
  const stamped = await Promise.all(
    paths.map(async (path) => ({
      path,
      mtime: (await stat(path).catch(() => undefined))?.mtimeMs ?? 0,
    })),
  );
  return stamped.sort((a, b) =>
    b.mtime - a.mtime || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)
  )
    .map((entry) => entry.path);
}

async function searchWithRg(
  rg: string,
  pattern: string,
  include: string | undefined,
  searchPath: string,
  cwd: string,
  signal: AbortSignal,
): Promise<string[]> {
  const args = ["--files-with-matches", "--sortr=modified", "--regexp", pattern, "--no-messages"];
  if (include) args.push("--glob", include);
  args.push("--", searchPath);
  let result;
  try {
    result = await runRg(rg, args, cwd, signal);
  } catch (err) {
    signal.throwIfAborted();
    throw new GrepError(
      `failed to launch rg: ${describeFsError(err)}. Ensure ripgrep is installed and on PATH.`,
    );
  }
  if (result.timedOut) throw new GrepError("rg timed out after 30 seconds");
  if (result.code === 1) return [];
  if (result.code === 0) {
    return await newestFirst(result.stdout.split("\n").filter((line) => line !== ""));
  }
  throw new GrepError(`rg failed: ${result.stderr}`);
}

/** Files git would not ignore under `dir` (tracked and untracked), or undefined outside a repo. */
function gitVisibleFiles(dir: string, signal: AbortSignal): Promise<string[] | undefined> {
  return new Promise((resolvePromise) => {
    execFile(
      "git",
      ["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."],
      { cwd: dir, signal, maxBuffer: 256 * 1024 * 1024, encoding: "buffer" },
      (err, stdout) => {
        if (err) return resolvePromise(undefined);
        const names = stdout.toString("utf8").split("\0").filter((name) => name !== "");
        resolvePromise([...new Set(names)].map((name) => join(dir, name)));
      },
    );
  });
}

async function walk(dir: string, signal: AbortSignal, out: string[] = []): Promise<string[]> {
  signal.throwIfAborted();
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return out; // unreadable directories are skipped, as rg --no-messages does
  }
  for (const entry of entries) {
    if (entry.name.startsWith(".")) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await walk(path, signal, out);
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

function compilePattern(pattern: string): RegExp {
  try {
    return new RegExp(pattern, "mu");
  } catch {
    // Rust's regex accepts escapes of any punctuation, which JavaScript's unicode mode rejects.
    try {
      return new RegExp(pattern, "m");
    } catch (err) {
      throw new GrepError(`invalid regular expression: ${(err as Error).message}`);
    }
  }
}

async function searchInProcess(
  pattern: string,
  include: string | undefined,
  searchPath: string,
  isFile: boolean,
  signal: AbortSignal,
): Promise<string[]> {
  const regex = compilePattern(pattern);
  const glob = include ? compileGlob(include) : undefined;
  let candidates: string[];
  if (isFile) {
    candidates = [searchPath];
  } else {
    const visible = await gitVisibleFiles(searchPath, signal) ?? await walk(searchPath, signal);
    candidates = visible.filter((path) =>
      !relative(searchPath, path).split("/").some((part) => part.startsWith("."))
    );
  }
  const matches: Array<{ path: string; mtime: number }> = [];
  for (const path of candidates) {
    signal.throwIfAborted();
    if (glob && !isFile && glob.matches(relative(searchPath, path)) === glob.negated) continue;
    // Like rg, symlinks met while walking are not followed; a file named explicitly is read.
    const info = await (isFile ? stat(path) : lstat(path)).catch(() => undefined);
    if (!info?.isFile()) continue;
    let bytes: Uint8Array;
    try {
      bytes = await readFile(path);
    } catch {
      continue;
    }
    const nul = bytes.indexOf(0);
    const text = new TextDecoder().decode(nul === -1 ? bytes : bytes.subarray(0, nul));
    if (regex.test(text)) matches.push({ path, mtime: info.mtimeMs });
  }
  matches.sort((a, b) => b.mtime - a.mtime || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return matches.map((match) => match.path);
}

export function grepFilesTool(options: GrepFilesOptions = {}): ToolDef {
  return defineFunctionTool({
    kind: "function",
    name: "grep_files",
    description: DESCRIPTION,
    parameters: GrepFilesArgs,
    parallel: true,
    async execute(args, ctx) {
      const pattern = args.pattern.trim();
      if (pattern === "") return "pattern must not be empty";
      if (args.limit === 0) return "limit must be greater than zero";
      const limit = Math.min(args.limit, MAX_LIMIT);
      const searchPath = resolve(ctx.cwd, args.path ?? ".");
      let isFile: boolean;
      try {
        isFile = (await stat(searchPath)).isFile();
      } catch (err) {
        return `unable to access \`${searchPath}\`: ${describeFsError(err)}`;
      }
      const include = args.include?.trim() || undefined;
      const rg = options.rgPath === undefined ? await findOnPath("rg") : options.rgPath;
      try {
        const found = rg
          ? await searchWithRg(rg, pattern, include, searchPath, ctx.cwd, ctx.signal)
          : await searchInProcess(pattern, include, searchPath, isFile, ctx.signal);
        return found.length === 0 ? "No matches found." : found.slice(0, limit).join("\n");
      } catch (err) {
        if (err instanceof GrepError) return err.message;
        throw err;
      }
    },
  });
}
