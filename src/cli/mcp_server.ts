// `tscodex mcp-server`: tscodex as an MCP server over stdio, so other agents can drive it. The
// `codex` tool starts a session and runs one turn; `codex-reply` runs the next turn of a session
// it started. Each answer is the turn's last message, also as structured content with the thread
// id; while a turn runs, its progress goes out as `codex/event` notifications, as upstream's do.
// stdout carries the protocol only: notices go to stderr.
import { resolve } from "node:path";
import process from "node:process";
import { z } from "zod";
import type { AgentEvent } from "../agent/mod.ts";
import { McpServer, StdioServerTransport } from "../mcp/mod.ts";
import { type AgentSession, openAgentSession } from "./setup/mod.ts";
import { VERSION } from "./version.ts";

const Answer = { threadId: z.string(), content: z.string() };

const CodexArguments = {
  prompt: z.string().describe("What to ask: the first user message of the new session."),
  model: z.string().optional().describe("The model to use instead of config.toml's."),
  profile: z.string().optional().describe("A [profiles.<name>] table of config.toml to apply."),
  cwd: z.string().optional().describe(
    "The session's working folder; a relative path is taken from the server's own folder.",
  ),
  "approval-policy": z.enum(["untrusted", "on-failure", "on-request", "never"]).optional()
    .describe("When commands need approval: untrusted, on-failure, on-request or never."),
  sandbox: z.enum(["read-only", "workspace-write", "danger-full-access"]).optional()
    .describe("Where commands may write: read-only, workspace-write or danger-full-access."),
  config: z.record(z.string(), z.unknown()).optional().describe(
    "config.toml keys to override for this session (dotted keys allowed), as -c would.",
  ),
  "base-instructions": z.string().optional().describe("Replaces the built-in instructions."),
  "developer-instructions": z.string().optional().describe(
    "Extra instructions sent as a developer message.",
  ),
  "compact-prompt": z.string().optional().describe(
    "Accepted for compatibility; compaction uses tscodex's own prompt.",
  ),
};

const ReplyArguments = {
  prompt: z.string().describe("The next user message of the session."),
  threadId: z.string().optional().describe(
    "The session to continue: the threadId a codex call answered with.",
  ),
  conversationId: z.string().optional().describe("Older name of threadId."),
};

/** `-c` flags for a `config` object: each value written as TOML (JSON's syntax is TOML's here). */
export function configFlags(config: Record<string, unknown> = {}): string[] {
  return Object.entries(config).map(([key, value]) => `${key}=${JSON.stringify(value)}`);
}

type Notify = (msg: Record<string, unknown>, turnId: string | undefined) => void;

/** What a `codex/event` notification says of an agent event (the ones a driver acts on). */
function eventMessage(event: AgentEvent): Record<string, unknown> | undefined {
  switch (event.type) {
    case "turn_started":
      return { type: "task_started", turn_id: event.turnId };
    case "text_delta":
      return { type: "agent_message_delta", delta: event.delta };
    case "tool_started":
      return { type: "tool_call_begin", call_id: event.call.call_id, name: event.call.name };
    case "turn_completed":
      return {
        type: "task_complete",
        turn_id: event.turnId,
        last_agent_message: event.lastMessage,
      };
    case "turn_failed":
      return { type: "error", message: event.error.message };
    // Nothing a driver acts on.
    case "history_appended":
    case "model_called":
    case "stream_opened":
    case "item_started":
    case "reasoning_delta":
    case "item_completed":
    case "tool_completed":
    case "tool_event":
    case "token_count":
    case "reconnecting":
    case "steer_inserted":
    case "compaction_started":
    case "compaction_failed":
    case "compaction_completed":
    case "turn_interrupted":
      return undefined;
    default:
      return event satisfies never;
  }
}

function answer(threadId: string, text: string) {
  return {
    content: [{ type: "text" as const, text }],
    structuredContent: { threadId, content: text },
  };
}

function failure(text: string) {
  return { content: [{ type: "text" as const, text }], isError: true };
}

export async function runMcpServer(): Promise<number> {
  const sessions = new Map<string, { session: AgentSession; notify: { current?: Notify } }>();
  const server = new McpServer({ name: "tscodex-mcp-server", title: "tscodex", version: VERSION });

  const runTurn = async (
    entry: { session: AgentSession; notify: { current?: Notify } },
    prompt: string,
    notify: Notify,
    signal: AbortSignal,
  ) => {
    entry.notify.current = notify;
    const threadId = entry.session.agent.sessionId;
    try {
      const result = await entry.session.agent.runTurn([prompt], signal);
      return answer(threadId, result.lastMessage ?? "");
    } catch (err) {
      return failure(`the turn failed: ${(err as Error).message}`);
    } finally {
      entry.notify.current = undefined;
    }
  };

  server.registerTool("codex", {
    title: "tscodex",
    description: "Start a tscodex session in a folder and run one turn of it with this prompt; " +
      "the answer is the turn's last message and the threadId to continue with codex-reply.",
    inputSchema: CodexArguments,
    outputSchema: Answer,
  }, async (args, extra) => {
    const notify: Notify = (msg, turnId) => {
      void extra.sendNotification({
        method: "codex/event",
        params: { _meta: { requestId: extra.requestId }, id: turnId ?? "", msg },
      } as never).catch(() => {});
    };
    const holder: { current?: Notify } = {};
    let session: AgentSession;
    try {
      session = await openAgentSession({
        cwd: resolve(args.cwd ?? process.cwd()),
        model: args.model,
        profile: args.profile,
        configOverrides: [
          ...configFlags(args.config),
          ...(args["developer-instructions"] === undefined
            ? []
            : configFlags({ developer_instructions: args["developer-instructions"] })),
        ],
        systemPrompt: args["base-instructions"],
        sandboxMode: args.sandbox,
        approvalPolicy: args["approval-policy"],
        originator: "codex_mcp_server",
        source: "exec",
        onEvent: (event) => {
          const msg = eventMessage(event);
          if (msg) holder.current?.(msg, "turnId" in event ? event.turnId : undefined);
        },
        notice: (text) => process.stderr.write(text + "\n"),
      });
    } catch (err) {
      return failure(`could not start a session: ${(err as Error).message}`);
    }
    const entry = { session, notify: holder };
    sessions.set(session.agent.sessionId, entry);
    notify({
      type: "session_configured",
      session_id: session.agent.sessionId,
      model: session.agent.options.model,
      cwd: session.agent.options.cwd,
    }, undefined);
    return await runTurn(entry, args.prompt, notify, extra.signal);
  });

  server.registerTool("codex-reply", {
    title: "tscodex reply",
    description: "Run the next turn of a session that the codex tool started, with this prompt.",
    inputSchema: ReplyArguments,
    outputSchema: Answer,
  }, async (args, extra) => {
    const threadId = args.threadId ?? args.conversationId;
    if (!threadId) return failure("give the threadId that the codex tool answered with");
    const entry = sessions.get(threadId);
    if (!entry) {
      return failure(
        `no session with thread id ${threadId} in this server; start one with the codex tool`,
      );
    }
    if (entry.notify.current) {
      return failure(`session ${threadId} is still running a turn; wait for its answer`);
    }
    const notify: Notify = (msg, turnId) => {
      void extra.sendNotification({
        method: "codex/event",
        params: { _meta: { requestId: extra.requestId, threadId }, id: turnId ?? "", msg },
      } as never).catch(() => {});
    };
    return await runTurn(entry, args.prompt, notify, extra.signal);
  });

  const transport = new StdioServerTransport();
  const closed = new Promise<void>((done) => {
    transport.onclose = () => done();
    process.stdin.once("end", () => done());
  });
  await server.connect(transport);
  await closed;
  for (const { session } of sessions.values()) await session.close();
  await server.close().catch(() => {});
  return 0;
}
