// The REPL's side of the collaboration tools: questions from request_user_input and requests from
// request_permissions are asked on the terminal, and the next line the user types answers them
// (instead of steering the turn); sub-agents' progress is summarised one line at a time.
import type { AgentEvent } from "../agent/mod.ts";
import type {
  PermissionGrant,
  PermissionsHandler,
  UserInputAnswers,
  UserInputHandler,
} from "../tools/mod.ts";
import { visibleText } from "./visible_text.ts";

/** Hands typed lines to pending questions, one question at a time, in the order asked. */
export class LinePrompter {
  #queue: Array<{ question: string; resolve(line: string | undefined): void }> = [];

  constructor(readonly show: (question: string) => void) {}

  get waiting(): boolean {
    return this.#queue.length > 0;
  }

  /** Shows `question` once the earlier ones are answered; undefined when `signal` aborts first. */
  ask(question: string, signal: AbortSignal): Promise<string | undefined> {
    if (signal.aborted) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const entry = {
        question,
        resolve: (line: string | undefined) => {
          signal.removeEventListener("abort", onAbort);
          resolve(line);
        },
      };
      const onAbort = () => {
        const index = this.#queue.indexOf(entry);
        if (index < 0) return;
        this.#queue.splice(index, 1);
        if (index === 0) this.#showNext();
        entry.resolve(undefined);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.#queue.push(entry);
      if (this.#queue.length === 1) this.show(question);
    });
  }

  /** Gives `line` to the question on screen; false when nothing is being asked. */
  offer(line: string): boolean {
    const entry = this.#queue.shift();
    if (!entry) return false;
    this.#showNext();
    entry.resolve(line);
    return true;
  }

  #showNext(): void {
    if (this.#queue.length > 0) this.show(this.#queue[0].question);
  }
}

type Ask = (question: string, signal: AbortSignal) => Promise<string | undefined>;

/**
 * request_user_input on the terminal: each question with its numbered options; a number picks
 * an option, other text is the user's own answer, an empty line dismisses the questions.
 */
export function userInputPrompt(ask: Ask): UserInputHandler {
  return async (request, signal) => {
    const answers: UserInputAnswers = {};
    for (const question of request.questions) {
      const text = [
        visibleText(`[${question.header}] ${question.question}`),
        ...question.options.map((o, i) =>
          visibleText(`  ${i + 1}. ${o.label} — ${o.description}`).replaceAll("\n", " ")
        ),
        "  (a number, or your own answer; an empty line dismisses)",
        "answer> ",
      ].join("\n");
      const line = (await ask(text, signal))?.trim();
      if (!line) return undefined;
      const picked = /^\d+$/.test(line) ? question.options[Number(line) - 1]?.label : undefined;
      answers[question.id] = { answers: [picked ?? line] };
    }
    return answers;
  };
}

/** What the model wrote, on one line with nothing hidden. */
function oneLine(text: string): string {
  return visibleText(text).replaceAll("\n", "\\n");
}

/** request_permissions on the terminal: y grants for the turn, s for the session, else no. */
export function permissionsPrompt(ask: Ask): PermissionsHandler {
  return async (request, signal) => {
    const { network, file_system: files } = request.permissions;
    const wanted = [
      ...(network?.enabled ? ["  network access"] : []),
      ...(files?.read ?? []).map((path) => `  read ${oneLine(path)}`),
      ...(files?.write ?? []).map((path) => `  write ${oneLine(path)}`),
    ];
    const text = [
      `The agent asks for more permissions${request.reason ? `: ${oneLine(request.reason)}` : ""}`,
      ...wanted,
      "Grant them? [y] for this turn, [s] for the session, [n] no: ",
    ].join("\n");
    const answer = (await ask(text, signal))?.trim().toLowerCase();
    const scope: PermissionGrant["scope"] | undefined = answer === "y" || answer === "yes"
      ? "turn"
      : answer === "s" || answer === "session"
      ? "session"
      : undefined;
    return scope ? { permissions: request.permissions, scope } : undefined;
  };
}

/** One line on what a sub-agent did, for the moments worth telling; undefined otherwise. */
export function subAgentLine(
  child: { id: string; nickname: string },
  event: AgentEvent,
): string | undefined {
  const who = `[${child.nickname}]`;
  switch (event.type) {
    case "turn_started":
      return `${who} working: ${event.texts.join(" ").slice(0, 96)}`;
    case "tool_started":
      return `${who} ${event.call.name}`;
    case "turn_completed":
      return `${who} done: ${(event.lastMessage ?? "").split("\n")[0].slice(0, 96)}`;
    case "turn_failed":
      return `${who} failed: ${event.error.message}`;
    case "turn_interrupted":
      return `${who} stopped`;
    // Not worth a line of their own.
    case "history_appended":
    case "model_called":
    case "stream_opened":
    case "item_started":
    case "text_delta":
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
      return undefined;
    default:
      return event satisfies never;
  }
}
