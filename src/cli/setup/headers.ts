// Opening a session: the headers every request carries — who the client is, the thread, the
// turn's metadata (git, sandbox) — as upstream sends them.
import process from "node:process";
import { type AgentOptions, SUBAGENT_HEADER } from "../../agent/mod.ts";
import type { SandboxMode } from "../../config/mod.ts";
import { clientIdentity, sessionHeaders } from "../../model/mod.ts";
import type { GitFacts } from "../../system/mod.ts";
import { VERSION } from "../version.ts";
import type { AgentSessionOptions } from "./options.ts";

/** The headers of a thread's requests, for the session's own thread and its sub-agents'. */
export type HeadersFor = (threadId: string) => AgentOptions["headers"];

export function requestHeaders(
  options: AgentSessionOptions,
  sessionId: string,
  sandboxMode: SandboxMode,
  git: Promise<GitFacts | undefined>,
): HeadersFor {
  const identity = clientIdentity(options.originator, VERSION, process.env);
  // The session's first turn reuses the early git probe; an ephemeral session reports no
  // workspace in its turn metadata, as upstream 0.115's.
  const firstTurnGit = options.ephemeral ? Promise.resolve(undefined) : git;
  return (threadId) => {
    const headers = sessionHeaders({
      identity,
      sessionId: threadId,
      cwd: options.cwd,
      sandboxMode,
      git: threadId === sessionId ? firstTurnGit : undefined,
    });
    const subagent = options.subagent;
    if (subagent === undefined) return headers;
    return async (context: { turnId: string }) => ({
      ...await headers(context),
      [SUBAGENT_HEADER]: subagent,
    });
  };
}
