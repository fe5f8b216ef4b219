// The human-readable `exec` log on stderr, laid out like upstream's: a settings header, then one
// block per thread item, then the tokens used. Only the final message goes to stdout.
import { resolve } from "node:path";
import type { AgentEvent } from "../agent/mod.ts";
import type { McpStartupEvent } from "../mcp/mod.ts";
import type { ItemDetails, ThreadEvent, ThreadItem } from "./exec_view.ts";

export interface LogHeader {
  version: string;
  workdir: string;
  model: string;
  provider: string;
  approval: string;
  sandbox: string;
  reasoningEffort?: string;
  reasoningSummary?: string;
  sessionId: string;
}

export interface Palette {
  bold(text: string): string;
  dim(text: string): string;
  magenta(text: string): string;
  cyan(text: string): string;
  green(text: string): string;
  red(text: string): string;
}

export function palette(enabled: boolean): Palette {
  const wrap = (open: number, close: number) => (text: string) =>
    enabled ? `\x1b[${open}m${text}\x1b[${close}m` : text;
  return {
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    magenta: wrap(35, 39),
    cyan: wrap(36, 39),
    green: wrap(32, 39),
    red: wrap(31, 39),
  };
}

/** How many lines of a command's output the log shows, as upstream's. */
const LOG_OUTPUT_LINES = 20;

export class ExecLog {
  #started = new Map<string, number>();

  constructor(
    readonly write: (text: string) => void,
    readonly colors: Palette,
    readonly cwd: string,
    /** What the log shows of an item beyond its JSON form (call ids, folders, explanations). */
    readonly detailsOf: (itemId: string) => ItemDetails | undefined = () => undefined,
    /** Whether there are token figures to close with (a review thread's main turn has none). */
    readonly hasUsage: () => boolean = () => true,
    /** What to do about a failed turn, shown on the line after its `ERROR:` line. */
    readonly failureHint: () => string | undefined = () => undefined,
  ) {}

  header(h: LogHeader, prompt: string): void {
    const c = this.colors;
    this.write(
      [
        c.bold(`tscodex v${h.version}`),
        "--------",
        `${c.bold("workdir:")} ${h.workdir}`,
        `${c.bold("model:")} ${h.model}`,
        `${c.bold("provider:")} ${h.provider}`,
        `${c.bold("approval:")} ${h.approval}`,
        `${c.bold("sandbox:")} ${h.sandbox}`,
        `${c.bold("reasoning effort:")} ${h.reasoningEffort ?? "none"}`,
        `${c.bold("reasoning summaries:")} ${h.reasoningSummary ?? "none"}`,
        `${c.bold("session id:")} ${h.sessionId}`,
        "--------",
        c.bold("user"),
        prompt,
      ].join("\n") + "\n",
    );
  }

  on(event: ThreadEvent): void {
    const c = this.colors;
    switch (event.type) {
      case "item.started":
        this.#started.set(event.item.id, performance.now());
        if (event.item.type === "todo_list") this.#plan(event.item);
        if (event.item.type === "collab_tool_call") this.#collab(event.item);
        // As upstream's log: the command as it starts, its outcome appended when it ends (so
        // commands running side by side interleave, and one left running has no outcome).
        if (event.item.type === "command_execution") {
          const cwd = this.detailsOf(event.item.id)?.cwd ?? this.cwd;
          this.write(`${c.bold("exec")}\n${event.item.command} in ${cwd}`);
        }
        if (event.item.type === "web_search") this.write("🌐 Searching the web...\n");
        if (event.item.type === "mcp_tool_call") {
          this.write(`${c.magenta("tool")} ${c.bold(mcpInvocation(event.item))}\n`);
        }
        break;
      case "item.updated":
        if (event.item.type === "todo_list") this.#plan(event.item);
        break;
      case "item.completed":
        this.#completed(event.item);
        break;
      case "error":
        if (event.message.startsWith("Reconnecting...")) this.write(event.message + "\n");
        break;
      case "turn.failed": {
        this.write(c.red(`ERROR: ${event.error.message}`) + "\n");
        const hint = this.failureHint();
        if (hint) this.write(`${hint}\n`);
        break;
      }
      case "turn.completed":
        if (this.hasUsage()) this.tokensUsed(event.usage);
        break;
      // The log's header and the user's prompt stand for these.
      case "thread.started":
      case "turn.started":
        break;
      default:
        event satisfies never;
    }
  }

  /**
   * What the log shows of a call that has no thread item: an image the model looked at, as
   * upstream's `viewed image <path>` (its --json shows nothing for it).
   */
  agentEvent(event: AgentEvent): void {
    if (event.type !== "tool_completed" || event.call.type !== "function_call") return;
    // view_image answers with the image itself; an error is a text.
    if (event.call.name !== "view_image" || !Array.isArray(event.output.output)) return;
    let path: unknown;
    try {
      path = (JSON.parse(event.call.arguments) as { path?: unknown }).path;
    } catch {
      return;
    }
    if (typeof path === "string") this.write(`viewed image ${resolve(this.cwd, path)}\n`);
  }

  /** The MCP servers starting, as upstream's log shows them (after the prompt). */
  mcpStartup(event: McpStartupEvent): void {
    const label = this.colors.cyan(event.type === "complete" ? "mcp startup:" : "mcp:");
    if (event.type === "starting" || event.type === "ready") {
      this.write(`${label} ${event.server} ${event.type}\n`);
    } else if (event.type === "failed") {
      this.write(`${label} ${event.server} failed: ${event.error}\n`);
    } else {
      const parts = [
        ...(event.ready.length ? [`ready: ${event.ready.join(", ")}`] : []),
        ...(event.failed.length ? [`failed: ${event.failed.map((f) => f.server).join(", ")}`] : []),
      ];
      this.write(`${label} ${parts.length ? parts.join("; ") : "no servers"}\n`);
    }
  }

  /** The closing `tokens used` block: input not read from cache, plus output. */
  tokensUsed(usage: { input_tokens: number; cached_input_tokens: number; output_tokens: number }) {
    const used = usage.input_tokens - usage.cached_input_tokens + usage.output_tokens;
    this.write(`${this.colors.bold("tokens used")}\n${thousands(used)}\n`);
  }

  /** How long the item ran: from its start (a command's spawn, however late we heard) to now. */
  #elapsed(id: string): string {
    const started = this.detailsOf(id)?.startedAt ?? this.#started.get(id);
    return durationText(started === undefined ? 0 : Math.round(performance.now() - started));
  }

  #plan(item: Extract<ThreadItem, { type: "todo_list" }>): void {
    const lines = item.items.map((step, i) => {
      const firstOpen = item.items.findIndex((s) => !s.completed);
      return `  ${step.completed ? "✓" : i === firstOpen ? "→" : "•"} ${step.text}`;
    });
    const explanation = this.detailsOf(item.id)?.explanation;
    this.write(
      [this.colors.bold("Plan update"), ...(explanation ? [explanation] : []), ...lines].join(
        "\n",
      ) +
        "\n",
    );
  }

  #completed(item: ThreadItem): void {
    const c = this.colors;
    switch (item.type) {
      case "reasoning": {
        // Upstream's log opens a summary with a blank line per part, then shows each part.
        const breaks = "\n".repeat(this.detailsOf(item.id)?.summaryParts ?? 0);
        this.write(`${breaks}${c.magenta(c.bold("thinking"))}\n${item.text}\n`);
        break;
      }
      case "agent_message":
        this.write(`${c.magenta(c.bold("codex"))}\n${item.text}\n`);
        break;
      case "command_execution": {
        // Still running when the turn ended: upstream's log leaves its start line as it is.
        if (item.exit_code === null && item.status === "completed") break;
        const verdict = item.exit_code === 0
          ? c.green(`succeeded in ${this.#elapsed(item.id)}:`)
          : c.red(`exited ${item.exit_code ?? "?"} in ${this.#elapsed(item.id)}:`);
        // As upstream's log: the first lines of the output only (the model gets the rest), each
        // without the carriage return a terminal puts before its newline.
        const shown = item.aggregated_output.replace(/\r\n/g, "\n").split("\n")
          .slice(0, LOG_OUTPUT_LINES).join("\n");
        const output = shown.endsWith("\n") || shown === "" ? shown : shown + "\n";
        this.write(` ${verdict}\n${output}`);
        break;
      }
      case "file_change": {
        const letter = { add: "A", update: "M", delete: "D" } as const;
        this.write(
          [c.bold("file update"), ...item.changes.map((ch) => `${letter[ch.kind]} ${ch.path}`)]
            .join("\n") + "\n",
        );
        break;
      }
      case "web_search":
        this.write(`🌐 Searched: ${item.query}\n`);
        break;
      case "error": {
        const details = this.detailsOf(item.id);
        if (details?.compacted) this.write(`context compacted\nwarning: ${item.message}\n`);
        else if (details?.warning) this.write(`warning: ${item.message}\n`);
        else this.write(c.red(`ERROR: ${item.message}`) + "\n");
        break;
      }
      case "collab_tool_call":
        this.#collab(item);
        break;
      case "mcp_tool_call": {
        const details = this.detailsOf(item.id)?.mcp;
        const verdict = `${mcpInvocation(item)} ${
          item.status === "completed" ? "success" : "failed"
        } in ${durationText(details?.durationMs ?? 0)}:`;
        this.write(`${item.status === "completed" ? c.green(verdict) : c.red(verdict)}\n`);
        // The result as the server sent it, its first lines only (a failed call has none).
        if (details?.result) {
          const lines = JSON.stringify(details.result, null, 2).split("\n");
          this.write(lines.slice(0, LOG_OUTPUT_LINES).map((line) => c.dim(line) + "\n").join(""));
        }
        break;
      }
      case "todo_list":
        break;
      default:
        item satisfies never;
    }
  }

  /**
   * A sub-agent call as upstream logs it: `collab <tool>(<call>…)` and its receivers when it
   * starts; when it ends, the call again with the outcome, then the agent(s) it concerned.
   */
  #collab(item: Extract<ThreadItem, { type: "collab_tool_call" }>): void {
    const c = this.colors;
    const callId = this.detailsOf(item.id)?.callId ?? item.id;
    const prompt = item.prompt === null ? "" : `, prompt=${JSON.stringify(item.prompt)}`;
    const call = `${item.tool}(${callId}${prompt})`;
    const receivers = item.receiver_thread_ids;
    const lines: string[] = [];
    if (item.status === "in_progress") {
      lines.push(c.bold(`collab ${call}`));
      if (item.tool === "wait") lines.push(`  receivers: ${receivers.join(", ")}`);
      else if (receivers.length) lines.push(`  receiver: ${receivers[0]}`);
    } else if (item.tool === "wait") {
      const states = Object.entries(item.agents_states);
      if (!states.length) lines.push(`${call} timed out:`);
      else {
        lines.push(`${call} ${states.length} agents complete:`);
        for (const [id, state] of states) lines.push(`  ${id} ${agentState(state)}`);
      }
    } else {
      const [id] = receivers;
      const state = id === undefined ? undefined : item.agents_states[id];
      lines.push(`${call} ${state ? agentState(state) : item.status}:`);
      if (id !== undefined) {
        lines.push(`  ${item.tool === "spawn_agent" ? "agent" : "receiver"}: ${id}`);
      }
    }
    this.write(lines.join("\n") + "\n");
  }
}

/** `pending init`, `running`, `completed: "…"`, `not found`, as upstream words agent states. */
function agentState(state: { status: string; message: string | null }): string {
  const word = state.status.replace(/_/g, " ");
  return state.message === null ? word : `${word}: ${JSON.stringify(state.message)}`;
}

/** `server.tool({"arg":1})`, as upstream's log names an MCP call. */
function mcpInvocation(item: Extract<ThreadItem, { type: "mcp_tool_call" }>): string {
  const args = item.arguments === null || item.arguments === undefined
    ? ""
    : JSON.stringify(item.arguments);
  return `${item.server}.${item.tool}(${args})`;
}

/** `8ms`, `1.00s`, `2m 05s`: an elapsed time as upstream's log prints it. */
export function durationText(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)}s`;
  return `${Math.floor(ms / 60_000)}m ${
    String(Math.floor((ms % 60_000) / 1000)).padStart(2, "0")
  }s`;
}

/** 1234567 → 1,234,567, as upstream prints token counts. */
export function thousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}
