// Context assembly: the messages that tell the model where and under which rules it works. They
// open the history of a new session, in upstream's order: one developer message (permissions, then
// developer instructions), then one user message (AGENTS.md instructions, then the environment).
import { closeSync, constants, existsSync, fstatSync, openSync, readSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { ApprovalPolicy, SandboxMode } from "../config/mod.ts";
import type { ResponseItem } from "../protocol/mod.ts";
import { localTime, pad2, systemTimeZone } from "../system/mod.ts";
import { permissionsText } from "./prompts.ts";
import { type Skill, skillsText } from "./skills.ts";

export type { ApprovalPolicy, SandboxMode };

export interface EnvironmentFacts {
  cwd: string;
  shell: string;
  currentDate: string;
  timezone: string;
}

/** Today's date in local time, as YYYY-MM-DD. */
function localDate(now: Date): string {
  const { year, month, day } = localTime(now);
  return `${year}-${pad2(month)}-${pad2(day)}`;
}

export function environmentFacts(cwd: string, shell: string, now = new Date()): EnvironmentFacts {
  const timezone = systemTimeZone();
  return {
    cwd,
    shell: shell.split("/").pop() || "bash",
    currentDate: localDate(now),
    timezone,
  };
}

export function environmentContextText(facts: EnvironmentFacts): string {
  return [
    "<environment_context>",
    `  <cwd>${facts.cwd}</cwd>`,
    `  <shell>${facts.shell}</shell>`,
    `  <current_date>${facts.currentDate}</current_date>`,
    `  <timezone>${facts.timezone}</timezone>`,
    "</environment_context>",
  ].join("\n");
}

const PROJECT_DOC_NAMES = ["AGENTS.override.md", "AGENTS.md"];

/**
 * At most `limit` bytes of the regular file `file`; undefined for anything else. A command may
 * have left a FIFO there (a plain read would wait for ever) or a link to /dev/zero.
 */
function readDoc(file: string, limit: number): Uint8Array | undefined {
  let fd;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) return undefined;
    const bytes = new Uint8Array(Math.min(info.size, limit));
    let length = 0;
    while (length < bytes.length) {
      const read = readSync(fd, bytes, length, bytes.length - length, length);
      if (read === 0) break;
      length += read;
    }
    return bytes.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

/** The first of AGENTS.override.md and AGENTS.md in `dir` with text, up to `limit` bytes. */
function firstExisting(dir: string, limit = Infinity): Uint8Array | undefined {
  for (const name of PROJECT_DOC_NAMES) {
    const bytes = readDoc(join(dir, name), limit);
    if (bytes && new TextDecoder().decode(bytes).trim()) return bytes;
  }
  return undefined;
}

/** The directories from the git root (or cwd, outside git) down to cwd. */
function projectDirs(cwd: string): string[] {
  const dirs: string[] = [];
  for (let current = resolve(cwd);; current = dirname(current)) {
    dirs.unshift(current);
    if (existsSync(join(current, ".git"))) return dirs;
    if (dirname(current) === current) return [resolve(cwd)];
  }
}

/** Between the user's own instructions and the project's AGENTS.md files, as upstream joins them. */
const PROJECT_DOC_SEPARATOR = "\n\n--- project-doc ---\n\n";

/** Upstream's default `project_doc_max_bytes`. */
export const PROJECT_DOC_MAX_BYTES = 32 * 1024;

export interface UserInstructionsOptions {
  codexHome?: string;
  /** config.toml's `user_instructions`, put before CODEX_HOME's AGENTS.md (as the seed does). */
  configured?: string;
  /** `project_doc_max_bytes`: what the project's files may add, in bytes; 0 leaves them out. */
  maxBytes?: number;
}

/**
 * The project's AGENTS.override.md or AGENTS.md of each level from the repository root down to
 * cwd, while the byte budget lasts (the file that crosses it is cut).
 */
function projectDocs(cwd: string, maxBytes: number): string | undefined {
  const parts: string[] = [];
  let budget = maxBytes;
  for (const dir of projectDirs(cwd)) {
    if (budget <= 0) break;
    const bytes = firstExisting(dir, budget);
    if (!bytes) continue;
    parts.push(new TextDecoder().decode(bytes));
    budget -= bytes.length;
  }
  return parts.length ? parts.join("\n\n") : undefined;
}

/**
 * User instructions: the user's own (`user_instructions`, then `CODEX_HOME/AGENTS.md` or its
 * override), then the project's AGENTS.md files after a separator line.
 */
export function userInstructions(
  cwd: string,
  options: UserInstructionsOptions = {},
): string | undefined {
  const home = options.codexHome ? firstExisting(options.codexHome) : undefined;
  const global = home && new TextDecoder().decode(home).trim();
  const own = [options.configured?.trim(), global].filter(Boolean).join("\n\n") || undefined;
  const project = projectDocs(cwd, options.maxBytes ?? PROJECT_DOC_MAX_BYTES);
  if (own && project) return own + PROJECT_DOC_SEPARATOR + project;
  return own ?? project;
}

export interface ContextOptions {
  environment: EnvironmentFacts;
  sandboxMode: SandboxMode;
  approvalPolicy: ApprovalPolicy;
  writableRoots?: string[];
  networkAccess?: boolean;
  developerInstructions?: string;
  /** The `<collaboration_mode>` section, when the surface works in modes (the REPL). */
  collaborationMode?: string;
  userInstructions?: string;
  skills?: Skill[];
}

/** A developer or user message made of input texts (context, notices, summaries). */
export function contextMessage(role: "developer" | "user", texts: string[]): ResponseItem {
  return { type: "message", role, content: texts.map((text) => ({ type: "input_text", text })) };
}

/** Tells the model that the turns before it were written by another model, and how to go on. */
export function modelSwitchText(model: string, instructions: string): string {
  return `<model_switch>\nFrom here on the conversation continues on another model (${model}) ` +
    `than the one that wrote the earlier turns. Follow these instructions from now on:\n\n` +
    `${instructions}\n</model_switch>`;
}

/** What the previous turn of a resumed session ran with, as its rollout's turn_context says. */
export interface PreviousSettings {
  cwd: string;
  model: string;
  approval_policy?: unknown;
  sandbox_policy?: unknown;
}

/** What the next turn runs with, in turn_context's terms where they are compared. */
export interface NextSettings {
  options: ContextOptions;
  model: string;
  sandboxPolicy: unknown;
  baseInstructions: string;
}

/**
 * The context a resumed session is told about before its next user message when its settings
 * changed since the last recorded turn, as upstream does: one developer message (a model switch
 * with the instructions for the new model, then new permissions) and one user message (the
 * environment, when the work folder moved). Nothing when nothing changed.
 */
export function settingsUpdateContext(
  previous: PreviousSettings | undefined,
  next: NextSettings,
): ResponseItem[] {
  if (!previous) return [];
  const { options } = next;
  const developer: string[] = [];
  if (previous.model !== next.model) {
    developer.push(modelSwitchText(next.model, next.baseInstructions));
  }
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  if (
    !same(previous.sandbox_policy, next.sandboxPolicy) ||
    !same(previous.approval_policy, options.approvalPolicy)
  ) {
    developer.push(
      permissionsText(
        options.sandboxMode,
        options.approvalPolicy,
        options.writableRoots ?? [],
        options.networkAccess ?? false,
      ),
    );
  }
  const user = previous.cwd === options.environment.cwd
    ? []
    : [environmentContextText(options.environment)];
  return [
    ...(developer.length ? [contextMessage("developer", developer)] : []),
    ...(user.length ? [contextMessage("user", user)] : []),
  ];
}

/** The context messages that open a new session's history. */
export function initialContext(options: ContextOptions): ResponseItem[] {
  const developer = [
    permissionsText(
      options.sandboxMode,
      options.approvalPolicy,
      options.writableRoots ?? [],
      options.networkAccess ?? false,
    ),
    ...(options.developerInstructions ? [options.developerInstructions] : []),
    ...(options.collaborationMode ? [options.collaborationMode] : []),
    ...(options.skills?.length ? [skillsText(options.skills)] : []),
  ];
  const user = [
    ...(options.userInstructions
      ? [
        `# AGENTS.md instructions for ${options.environment.cwd}\n\n<INSTRUCTIONS>\n` +
        `${options.userInstructions}\n</INSTRUCTIONS>`,
      ]
      : []),
    environmentContextText(options.environment),
  ];
  return [contextMessage("developer", developer), contextMessage("user", user)];
}
