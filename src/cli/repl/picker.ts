// `tscodex resume` without a session: the recorded sessions, newest first, to pick one by number.
import { listSessions, type SessionSummary, type SessionTarget } from "../../session/mod.ts";

/** How long ago `then` was, in the largest whole unit. */
export function ago(then: Date, now = new Date()): string {
  const seconds = Math.max(0, Math.round((now.getTime() - then.getTime()) / 1000));
  const units: Array<[string, number]> = [["d", 86_400], ["h", 3_600], ["m", 60]];
  for (const [unit, size] of units) {
    if (seconds >= size) return `${Math.floor(seconds / size)}${unit} ago`;
  }
  return "just now";
}

function listing(sessions: SessionSummary[], withCwd: boolean): string[] {
  return sessions.map((session, i) => {
    const where = withCwd && session.cwd ? `  ${session.cwd}` : "";
    return `  [${i + 1}] ${session.title}  (${ago(session.updatedAt)})${where}`;
  });
}

export interface PickerIo {
  write(line: string): void;
  /** The next typed line; undefined once input has ended. */
  read(): Promise<string | undefined>;
}

/**
 * The session to resume: `{ resume }` for a picked one, `{}` for a new session (Enter, or nothing
 * recorded), undefined when input ends first.
 */
export async function pickSession(
  home: string,
  cwd: string | undefined,
  io: PickerIo,
): Promise<{ resume?: SessionTarget } | undefined> {
  const sessions = await listSessions(home, { cwd });
  const scope = cwd ? `in ${cwd}` : "in any folder";
  if (sessions.length === 0) {
    io.write(`No recorded sessions ${scope}; starting a new one.`);
    return {};
  }
  io.write(`Recorded sessions ${scope}, most recent first:`);
  for (const line of listing(sessions, cwd === undefined)) io.write(line);
  for (;;) {
    io.write(`Resume which? Type its number (1-${sessions.length}), or Enter for a new session.`);
    const answer = await io.read();
    if (answer === undefined) return undefined;
    const text = answer.trim();
    if (text === "") return {};
    const chosen = /^\d+$/.test(text) ? sessions[Number(text) - 1] : undefined;
    if (chosen) return { resume: { id: chosen.sessionId } };
    io.write(`No session numbered ${text}.`);
  }
}
