// The names MCP tools get in a Responses request: `mcp__<server>__<tool>`, as upstream Codex names
// them. The Responses API accepts only [A-Za-z0-9_-] in tool names, at most 64 of them; server and
// tool names are the servers' to choose, so they are made to fit the same way upstream does.

/** Upstream refuses to start a server whose name could not appear in a tool name unchanged. */
export const SERVER_NAME = /^[a-zA-Z0-9_-]+$/;

const DELIMITER = "__";
const MAX_TOOL_NAME = 64;

async function sha1Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export interface NamedTool {
  server: string;
  tool: string;
}

/**
 * The model-facing name of each tool, in input order; a tool whose name collides with an earlier
 * one (after the characters the API refuses became `_`) is left out, as upstream leaves it.
 */
export async function qualifyTools<T extends NamedTool>(
  tools: readonly T[],
): Promise<Array<{ name: string; tool: T }>> {
  const seenRaw = new Set<string>();
  const used = new Set<string>();
  const out: Array<{ name: string; tool: T }> = [];
  for (const tool of tools) {
    const raw = `mcp${DELIMITER}${tool.server}${DELIMITER}${tool.tool}`;
    if (seenRaw.has(raw)) continue;
    seenRaw.add(raw);
    let name = raw.replace(/[^A-Za-z0-9_-]/g, "_") || "_";
    if (name.length > MAX_TOOL_NAME) {
      // The hash is of the raw name, so `a.b` and `a_b` stay apart even when cut.
      const hash = await sha1Hex(raw);
      name = name.slice(0, MAX_TOOL_NAME - hash.length) + hash;
    }
    if (used.has(name)) continue;
    used.add(name);
    out.push({ name, tool });
  }
  return out;
}
