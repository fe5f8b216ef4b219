// list_dir: a directory tree, breadth first to `depth` levels, as indented names sorted by
// relative path, paged with offset/limit. Markers: `/` directory, `@` symlink, `?` other.
// Wording, ordering and limits follow upstream's experimental list_dir tool.
import type { Dirent } from "node:fs";
import { readdir } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import { z } from "zod";
import { describeFsError } from "./fs_errors.ts";
import { defineFunctionTool, type ToolDef } from "./registry.ts";
import { clipToBytes } from "./truncate.ts";

const MAX_NAME_BYTES = 500;
const INDENT = "  ";

const DESCRIPTION = "List the entries of a local directory and its subdirectories, one per " +
  "line, indented by depth, with `/` after directories and `@` after symlinks.";

const count = z.number().int().nonnegative();

const ListDirArgs = z.object({
  dir_path: z.string().describe("Absolute path of the directory."),
  offset: count.default(1).describe("First entry to return, counting from 1."),
  limit: count.default(25).describe("Most entries to return."),
  depth: count.default(2).describe("How many directory levels to descend; 1 lists only the top."),
});

interface Entry {
  /** Relative path: the sort key. */
  key: string;
  name: string;
  depth: number;
  suffix: string;
}

function suffixOf(entry: Dirent): string {
  if (entry.isSymbolicLink()) return "@";
  if (entry.isDirectory()) return "/";
  return entry.isFile() ? "" : "?";
}

class ListDirError extends Error {}

async function collect(root: string, maxDepth: number, signal: AbortSignal): Promise<Entry[]> {
  const entries: Entry[] = [];
  const queue: Array<{ dir: string; prefix: string; depth: number }> = [
    { dir: root, prefix: "", depth: 0 },
  ];
  while (queue.length > 0) {
    signal.throwIfAborted();
    const { dir, prefix, depth } = queue.shift()!;
    let children: Dirent[];
    try {
      children = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      throw new ListDirError(`failed to read directory: ${describeFsError(err)}`);
    }
    const level = children.map((child) => ({
      child,
      entry: {
        key: clipToBytes(prefix + child.name, MAX_NAME_BYTES),
        name: clipToBytes(child.name, MAX_NAME_BYTES),
        depth,
        suffix: suffixOf(child),
      },
    })).sort((a, b) => compare(a.entry.key, b.entry.key));
    for (const { child, entry } of level) {
      if (entry.suffix === "/" && depth + 1 < maxDepth) {
        queue.push({
          dir: join(dir, child.name),
          prefix: `${prefix}${child.name}/`,
          depth: depth + 1,
        });
      }
      entries.push(entry);
    }
  }
  return entries.sort((a, b) => compare(a.key, b.key));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function listDirTool(): ToolDef {
  return defineFunctionTool({
    kind: "function",
    name: "list_dir",
    description: DESCRIPTION,
    parameters: ListDirArgs,
    parallel: true,
    async execute(args, ctx) {
      if (args.offset === 0) return "offset must be a 1-indexed entry number";
      if (args.limit === 0) return "limit must be greater than zero";
      if (args.depth === 0) return "depth must be greater than zero";
      if (!isAbsolute(args.dir_path)) return "dir_path must be an absolute path";
      let entries: Entry[];
      try {
        entries = await collect(args.dir_path, args.depth, ctx.signal);
      } catch (err) {
        if (err instanceof ListDirError) return err.message;
        throw err;
      }
      const lines = [`Absolute path: ${args.dir_path}`];
      if (entries.length > 0) {
        const start = args.offset - 1;
        if (start >= entries.length) return "offset exceeds directory entry count";
        const page = entries.slice(start, start + args.limit);
        lines.push(...page.map((e) => INDENT.repeat(e.depth) + e.name + e.suffix));
        if (start + page.length < entries.length) {
          lines.push(`More than ${page.length} entries found`);
        }
      }
      return lines.join("\n");
    },
  });
}
