// Sessions under CODEX_HOME: starting one, finding one by id, name or recency, listing them for a
// resume picker, and the thread names in session_index.jsonl.
import { appendFile, mkdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { type ResponseItem, uuidv7 } from "../protocol/mod.ts";
import { gitInfo } from "./git_info.ts";
import { rebuildSession, type RebuiltSession, typedUserText } from "./rebuild.ts";
import { type SessionMetaFields, sessionMetaPayload } from "./lines.ts";
import { listRolloutFiles, type RolloutFile, rolloutPath, UUID_PATTERN } from "./paths.ts";
import { type ParsedRollout, readRollout, readRolloutHead } from "./reader.ts";
import { RolloutRecorder } from "./recorder.ts";
import type { GitInfo, RolloutEntry, SessionMeta } from "./schema.ts";

export class SessionNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SessionNotFoundError";
  }
}

export interface CreateSessionOptions extends Omit<SessionMetaFields, "id" | "timestamp" | "git"> {
  codexHome: string;
  /** Defaults to a new UUIDv7. */
  sessionId?: string;
  now?: Date;
  /** Defaults to what git says about `cwd`; null records none. */
  git?: GitInfo | null;
  /** Keep no rollout at all (`exec --ephemeral`); the recorder drops every record. */
  ephemeral?: boolean;
}

export interface CreatedSession {
  sessionId: string;
  path: string;
  recorder: RolloutRecorder;
}

/** Starts a session: a new rollout file whose first line is its session_meta. */
export async function createSession(options: CreateSessionOptions): Promise<CreatedSession> {
  const now = options.now ?? new Date();
  const sessionId = options.sessionId ?? uuidv7(now.getTime());
  const git = options.git === undefined ? await gitInfo(options.cwd) : options.git;
  if (options.ephemeral) {
    return { sessionId, path: "", recorder: RolloutRecorder.discarding(sessionId) };
  }
  const path = rolloutPath(options.codexHome, sessionId, now);
  const recorder = RolloutRecorder.create(path, sessionId);
  try {
    recorder.record(
      "session_meta",
      sessionMetaPayload({ ...options, id: sessionId, timestamp: now.toISOString(), git }),
    );
  } catch (err) {
    // No empty file is left behind to be listed as a session.
    recorder.abandon();
    throw err;
  }
  return { sessionId, path, recorder };
}

/** Which session to open: by id (or thread name), or the most recently active one. */
export type SessionTarget =
  | { id: string }
  /** With `cwd`, only sessions started in that directory count (upstream's default). */
  | { last: true; cwd?: string };

export interface OpenedSession extends RebuiltSession {
  sessionId: string;
  path: string;
  /** Appends to the same rollout file. */
  recorder: RolloutRecorder;
  history: ResponseItem[];
  /** Readable oddities of the file (a cut-short last line, skipped lines), for a warning. */
  parsed: Omit<ParsedRollout, "entries">;
}

/** Opens a recorded session for resuming: its rebuilt history and an appending recorder. */
export async function openSession(
  codexHome: string,
  target: SessionTarget,
): Promise<OpenedSession> {
  const file = "id" in target
    ? await findSession(codexHome, target.id)
    : await findLatestSession(codexHome, target.cwd);
  const parsed = await readRollout(file.path);
  const rebuilt = rebuildSession(parsed.entries);
  const sessionId = rebuilt.meta?.id ?? file.sessionId;
  const { entries: _entries, ...oddities } = parsed;
  return {
    ...rebuilt,
    sessionId,
    path: file.path,
    recorder: RolloutRecorder.append(file.path, sessionId, parsed.truncated),
    parsed: oddities,
  };
}

/** A session by UUID, or by the thread name session_index.jsonl gives it (the newest wins). */
export async function findSession(codexHome: string, idOrName: string): Promise<RolloutFile> {
  const files = await listRolloutFiles(codexHome);
  const wanted = idOrName.trim().toLowerCase();
  if (UUID_PATTERN.test(wanted)) {
    const file = files.find((f) => f.sessionId === wanted);
    if (file) return file;
    throw new SessionNotFoundError(`no session with id ${idOrName} under ${codexHome}/sessions`);
  }
  const named = [...(await readSessionIndex(codexHome))].filter(([, name]) => name === idOrName)
    .map(([id]) => id);
  const file = files.find((f) => named.includes(f.sessionId));
  if (file) return file;
  throw new SessionNotFoundError(
    `no session named ${JSON.stringify(idOrName)} (and it is not a session id) under ${codexHome}`,
  );
}

interface SessionHead {
  meta?: SessionMeta;
  firstUserMessage?: string;
}

async function readHead(file: RolloutFile): Promise<SessionHead> {
  const find = (entries: RolloutEntry[]): SessionHead => {
    const head: SessionHead = {};
    for (const entry of entries) {
      if (entry.type === "session_meta") head.meta ??= entry.payload;
      // The user_message event, or the item itself for writers without those events (0.169.0).
      const typed = entry.type === "event_msg" && entry.payload.type === "user_message"
        ? entry.payload.message
        : entry.type === "response_item"
        ? typedUserText(entry.payload)
        : undefined;
      if (typed !== undefined && typed.trim() !== "") {
        head.firstUserMessage = typed;
        break;
      }
    }
    return head;
  };
  try {
    return find(await readRolloutHead(file.path, (e) => find(e).firstUserMessage !== undefined));
  } catch {
    // Unreadable files are not sessions anyone can resume.
    return {};
  }
}

/** The most recently active session with a typed message, optionally only those started in `cwd`. */
export async function findLatestSession(codexHome: string, cwd?: string): Promise<RolloutFile> {
  const wantedCwd = cwd === undefined ? undefined : resolve(cwd);
  for (const file of await listRolloutFiles(codexHome)) {
    const head = await readHead(file);
    if (head.firstUserMessage === undefined) continue;
    if (wantedCwd !== undefined && resolve(head.meta?.cwd ?? "") !== wantedCwd) continue;
    return file;
  }
  throw new SessionNotFoundError(
    `no recorded session to resume under ${codexHome}/sessions` +
      (wantedCwd ? ` for ${wantedCwd}` : ""),
  );
}

export interface SessionSummary {
  sessionId: string;
  path: string;
  /** The thread name from session_index.jsonl, else the preview. */
  title: string;
  /** The first typed message, on one line and shortened. */
  preview: string;
  cwd?: string;
  startedAt?: string;
  updatedAt: Date;
}

const PREVIEW_LENGTH = 80;

function previewOf(message: string): string {
  const line = message.replace(/\s+/g, " ").trim();
  return line.length <= PREVIEW_LENGTH ? line : `${line.slice(0, PREVIEW_LENGTH - 1)}…`;
}

/** Sessions someone typed into, most recently active first, for a resume picker. */
export async function listSessions(
  codexHome: string,
  options: { limit?: number; cwd?: string } = {},
): Promise<SessionSummary[]> {
  const limit = options.limit ?? 20;
  const wantedCwd = options.cwd === undefined ? undefined : resolve(options.cwd);
  const names = await readSessionIndex(codexHome);
  const out: SessionSummary[] = [];
  for (const file of await listRolloutFiles(codexHome)) {
    if (out.length >= limit) break;
    const head = await readHead(file);
    if (head.firstUserMessage === undefined) continue;
    if (wantedCwd !== undefined && resolve(head.meta?.cwd ?? "") !== wantedCwd) continue;
    const preview = previewOf(head.firstUserMessage);
    out.push({
      sessionId: head.meta?.id ?? file.sessionId,
      path: file.path,
      title: names.get(file.sessionId) ?? preview,
      preview,
      cwd: head.meta?.cwd,
      startedAt: head.meta?.timestamp,
      updatedAt: new Date(file.mtimeMs),
    });
  }
  return out;
}

function sessionIndexPath(codexHome: string): string {
  return join(codexHome, "session_index.jsonl");
}

/** Thread names by session id; later lines override earlier ones. */
export async function readSessionIndex(codexHome: string): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  let text: string;
  try {
    text = await readFile(sessionIndexPath(codexHome), "utf8");
  } catch {
    return names;
  }
  for (const line of text.split("\n")) {
    try {
      const entry = JSON.parse(line) as { id?: unknown; thread_name?: unknown };
      if (typeof entry.id === "string" && typeof entry.thread_name === "string") {
        names.set(entry.id.toLowerCase(), entry.thread_name);
      }
    } catch {
      // A torn or foreign line names nothing.
    }
  }
  return names;
}

/** Names a session (appends to session_index.jsonl; the newest name wins). */
export async function nameSession(codexHome: string, sessionId: string, name: string) {
  await mkdir(codexHome, { recursive: true });
  const line = { id: sessionId, thread_name: name, updated_at: new Date().toISOString() };
  await appendFile(sessionIndexPath(codexHome), JSON.stringify(line) + "\n");
}
