// The REPL's slash commands: one table, from which /help is written too.
import process from "node:process";
import type { CollaborationMode } from "../../agent/mod.ts";
import type { FeishuLink } from "../../feishu/mod.ts";
import { listSessions, nameSession, type SessionTarget } from "../../session/mod.ts";
import type { AgentSession } from "../setup/mod.ts";
import type { ReplScreen } from "./render.ts";
import { visibleText } from "../visible_text.ts";

/** What a command may use of the running REPL. */
export interface ReplContext {
  readonly session: AgentSession;
  /** Whether a turn runs. */
  readonly busy: boolean;
  readonly screen: ReplScreen;
  readonly collaboration: CollaborationMode;
  title: string | undefined;
  /** The Feishu card mirroring the session, while one is linked; closed when the REPL ends. */
  link: FeishuLink | undefined;
  submit(text: string, mode: "steer" | "queue"): void;
  interrupt(): void;
  /** Replaces the running session with a new one, or with a recorded one. */
  switchTo(resume?: SessionTarget): Promise<void>;
}

export interface ReplCommand {
  /** The name, then its aliases. */
  names: string[];
  /** What follows the name, as /help shows it (`<required>`, `[optional]`). */
  args?: string;
  summary: string;
  /** Said instead of running the command while a turn runs; unset when it works mid-turn. */
  notWhileBusy?: string;
  /** "exit" leaves the REPL. */
  run(repl: ReplContext, argument: string): void | "exit" | Promise<void>;
}

/** How long /model waits for the provider's list of models. */
const MODELS_TIMEOUT_MS = 10_000;

async function resume(repl: ReplContext, argument: string): Promise<void> {
  const { session, screen } = repl;
  const sessions = await listSessions(session.home);
  const others = sessions.filter((entry) => entry.sessionId !== session.agent.sessionId);
  if (!argument) {
    if (others.length === 0) return screen.line("No resumable sessions found.");
    screen.line("Available sessions:");
    others.forEach((entry, i) => screen.line(`[${i + 1}] ${entry.title}`));
    return screen.line("Use /resume <number>.");
  }
  const chosen = others[Number(argument) - 1];
  if (!/^\d+$/.test(argument) || !chosen) return screen.line(`Session not found: ${argument}`);
  await repl.switchTo({ id: chosen.sessionId });
  repl.title = chosen.title;
  screen.line(`Resumed session: ${chosen.title}`);
  repl.screen.history(repl.session.agent.history);
}

/** /link: sends the card (the Feishu modules load only now) and moves an existing link there. */
async function link(repl: ReplContext, argument: string): Promise<void> {
  const { screen } = repl;
  if (!argument) {
    if (repl.link) {
      screen.line(`Linked to Feishu card ${repl.link.messageId}; /unlink detaches it.`);
    }
    return screen.line("Usage: /link <email|open_id|chat_id|name|mobile>");
  }
  const feishu = await import("../../feishu/mod.ts");
  const api = new feishu.FeishuApi(feishu.feishuSettings(repl.session.home, process.env));
  const card = await feishu.FeishuLink.open(api, argument, repl.session.agent.options.model, {
    busy: () => repl.busy,
    submit: (text) => repl.submit(text, "steer"),
    // What people type into the card reaches this terminal: nothing in it may drive the terminal.
    notice: (text) => screen.line(screen.style.dim(visibleText(text))),
  }, { listen: true });
  await repl.link?.close();
  repl.link = card;
  screen.line(
    `Linked: card ${card.messageId} sent to ${feishu.describeTarget(card.target)}; ` +
      "/unlink detaches it.",
  );
}

export const COMMANDS: readonly ReplCommand[] = [
  {
    names: ["/queue"],
    args: "<message>",
    summary: "run the message as its own turn after the current one",
    run: (repl, argument) => {
      if (argument) repl.submit(argument, "queue");
      else repl.screen.line("Usage: /queue <message>");
    },
  },
  {
    names: ["/interrupt"],
    summary: "stop the running turn (Esc or Ctrl-C does the same)",
    run: (repl) => repl.interrupt(),
  },
  {
    names: ["/compact"],
    summary: "summarise the conversation to free context",
    notWhileBusy: "A turn is running; compact when it ends.",
    run: async (repl) => {
      try {
        await repl.session.agent.compact(new AbortController().signal);
      } catch (err) {
        repl.screen.error(`compaction failed: ${(err as Error).message}`);
      }
    },
  },
  {
    names: ["/history"],
    summary: "show the conversation so far",
    run: (repl) => repl.screen.history(repl.session.agent.history),
  },
  {
    names: ["/new"],
    summary: "start a new session",
    notWhileBusy: "A turn is running; start a new session when it ends.",
    run: async (repl) => {
      await repl.switchTo();
      repl.screen.line(`New session ${repl.session.agent.sessionId}`);
    },
  },
  {
    names: ["/resume"],
    args: "[n]",
    summary: "list recorded sessions, or switch to session n",
    notWhileBusy: "A turn is running; resume another session when it ends.",
    run: resume,
  },
  {
    names: ["/title"],
    args: "[name]",
    summary: "show or set this session's title",
    run: async (repl, argument) => {
      if (!argument) return repl.screen.line(`Session: ${repl.title ?? "untitled"}`);
      repl.title = argument;
      await nameSession(repl.session.home, repl.session.agent.sessionId, argument);
      repl.screen.line(`Session: ${argument}`);
    },
  },
  {
    names: ["/model"],
    args: "[name]",
    summary: "show the model and the ones the provider lists, or change the model",
    run: async (repl, argument) => {
      const { screen, session } = repl;
      if (argument && repl.busy) screen.line("A turn is running; change the model when it ends.");
      else if (argument) session.switchModel(argument);
      screen.line(`Current model: ${session.agent.options.model}`);
      if (argument) return;
      try {
        const models = await session.agent.options.client.listModels(
          AbortSignal.timeout(MODELS_TIMEOUT_MS),
        );
        screen.line(
          models.length
            ? `Available models: ${models.join(", ")}`
            : "The provider lists no models.",
        );
      } catch (err) {
        screen.line(`The provider's models could not be listed: ${(err as Error).message}`);
      }
    },
  },
  {
    names: ["/plan"],
    args: "[off]",
    summary: "enter Plan mode (explore and propose, ask questions), or leave it",
    run: (repl, argument) => {
      if (repl.busy) repl.screen.line("A turn is running; change the mode when it ends.");
      else repl.collaboration.switchTo(argument === "off" ? "default" : "plan", repl.session.agent);
      repl.screen.line(`Mode: ${repl.collaboration.spec.name}`);
    },
  },
  {
    names: ["/link"],
    args: "<email|open_id|chat_id|name|mobile>",
    summary: "mirror this session in a Feishu / Lark card that can also send prompts",
    run: link,
  },
  {
    names: ["/unlink"],
    summary: "detach the Feishu / Lark card",
    run: async (repl) => {
      if (!repl.link) return repl.screen.line("No Feishu card is linked.");
      const { messageId } = repl.link;
      await repl.link.close();
      repl.link = undefined;
      repl.screen.line(`Card ${messageId} detached.`);
    },
  },
  {
    names: ["/exit", "/quit"],
    summary: "leave (Ctrl-D does the same)",
    run: () => "exit",
  },
  {
    names: ["/help"],
    summary: "show this list",
    run: (repl) => repl.screen.line(helpText(COMMANDS)),
  },
];

/** /help: the commands in table order, their arguments and what they do. */
export function helpText(commands: readonly ReplCommand[]): string {
  const labels = commands.map((command) =>
    [command.names.join(", "), command.args].filter(Boolean).join(" ")
  );
  const width = Math.max(...labels.map((label) => label.length)) + 2;
  return [
    "Type a message and press Enter. While a turn runs, what you type steers it.",
    ...commands.map((command, i) => `  ${labels[i].padEnd(width)}${command.summary}`),
  ].join("\n");
}

export function findCommand(name: string): ReplCommand | undefined {
  return COMMANDS.find((command) => command.names.includes(name));
}
