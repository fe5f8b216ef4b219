// `tscodex exec`: one non-interactive turn. The log goes to stderr and the final message to
// stdout; with --json, stdout carries the thread events instead, as upstream's exec does.
import { Buffer } from "node:buffer";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { dirname, extname, join, resolve } from "node:path";
import process from "node:process";
import { type ApprovalPolicy, type SandboxMode, TurnInterruptedError } from "../agent/mod.ts";
import { ConfigError, featureOverrides } from "../config/mod.ts";
import { modelInfo } from "../model/mod.ts";
import { FileError, ioCause } from "../platform/mod.ts";
import { debugLog } from "./debug_log.ts";
import { ExecLog, palette } from "./exec_log.ts";
import { ExecView, type ThreadEvent } from "./exec_view.ts";
import type { SessionTarget } from "../session/mod.ts";
import type { SandboxPolicy } from "../tools/mod.ts";
import {
  type AgentSession,
  type BackendFlags,
  backendSwitches,
  openAgentSession,
} from "./setup/mod.ts";
import { VERSION } from "./version.ts";

export interface ExecOptions extends BackendFlags {
  skipGitRepoCheck?: boolean;
  cd?: string;
  model?: string;
  json?: boolean;
  outputLastMessage?: string;
  color?: "always" | "never" | "auto";
  image?: string[];
  sandbox?: SandboxMode;
  fullAuto?: boolean;
  dangerouslyBypassApprovalsAndSandbox?: boolean;
  systemPrompt?: string;
  /** `-c key=value` overrides of config.toml, in order. */
  config?: string[];
  profile?: string;
  /** Continue a recorded session (`exec resume`). */
  resume?: SessionTarget;
  enable?: string[];
  disable?: string[];
  addDir?: string[];
  ephemeral?: boolean;
  outputSchema?: string;
  progressCursor?: boolean;
  oss?: boolean;
  localProvider?: string;
  /** Runs the turn another way (`exec review`); made after `--cd` and the git check. */
  turn?: (cwd: string) => Promise<ExecTurn>;
}

/** A turn that is not one prompt to the session's agent (`exec review` runs a thread of its own). */
export interface ExecTurn {
  /** What the log's banner shows as the user's message. */
  hint: string;
  /** Runs the turn, showing its events through `view`; returns what stdout gets (null: nothing). */
  run(session: AgentSession, view: ExecView, signal: AbortSignal): Promise<string | null>;
}

/** The JSON of `--output-schema FILE`; unreadable or not JSON is an error naming the file. */
export async function readOutputSchema(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new ConfigError(`cannot read the output schema ${file}: ${ioCause(err)}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ConfigError(
      `the output schema ${file} is not valid JSON (${(err as Error).message}); ` +
        "--output-schema takes a JSON Schema file",
    );
  }
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** A mistake in how tscodex was called: said in one sentence, exit 2 unless upstream uses another. */
export class UsageError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT_USAGE) {
    super(message);
    this.name = "UsageError";
  }
}

/** `-C DIR`: work there from now on; a folder that cannot be entered is a usage error. */
export function enterFolder(dir: string | undefined): void {
  if (!dir) return;
  try {
    process.chdir(dir);
  } catch (err) {
    throw new UsageError(`cannot change to directory ${dir}: ${ioCause(err)}`);
  }
}

export const EXIT_INTERRUPTED = 130;

function insideGitRepo(dir: string): boolean {
  for (let current = resolve(dir);; current = dirname(current)) {
    if (existsSync(join(current, ".git"))) return true;
    if (dirname(current) === current) return false;
  }
}

async function readStdin(): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Uint8Array);
  return new TextDecoder().decode(Buffer.concat(chunks));
}

/** The prompt from argv, or from stdin when it is `-` or absent and stdin is not a terminal. */
export async function resolvePrompt(prompt: string | undefined): Promise<string> {
  if (prompt !== undefined && prompt !== "-") return prompt;
  if (prompt === "-" || !process.stdin.isTTY) {
    const text = (await readStdin()).trim();
    if (text) return text;
  }
  // Upstream exits 1 here (not 2: the command line itself was fine).
  throw new UsageError(
    "no prompt given: pass it as an argument, or pipe it on stdin with `-`",
    EXIT_FAILED,
  );
}

const IMAGE_TYPES: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
};

/** Upstream warns when it falls back to default metadata for a model it does not know. */
export function unknownModelWarning(model: string): string {
  return `tscodex does not know the model \`${model}\`: it uses default settings for it ` +
    "(context window, output limits, tools), which may not suit it.";
}

/** An `-i` attachment as a data URL, with a clear error for a missing or non-image file. */
export async function imageDataUrl(file: string): Promise<string> {
  const type = IMAGE_TYPES[extname(file).slice(1).toLowerCase()];
  if (!type) {
    throw new UsageError(`--image ${file}: not a supported image (png, jpeg, gif or webp)`);
  }
  try {
    return `data:${type};base64,${(await readFile(file)).toString("base64")}`;
  } catch (err) {
    throw new UsageError(`--image ${file}: cannot read the file (${ioCause(err)})`);
  }
}

/**
 * The sandbox and approval policy the flags ask for; an unset sandbox comes from the config. The
 * policy is always `never`, whatever the config says, as in upstream's exec: nobody is there to
 * approve, so a command asking to leave the sandbox is refused and the model is told why.
 */
export function execPermissions(
  options: ExecOptions,
): { sandbox?: SandboxMode; approval: ApprovalPolicy } {
  if (options.dangerouslyBypassApprovalsAndSandbox) {
    return { sandbox: "danger-full-access", approval: "never" };
  }
  if (options.fullAuto) return { sandbox: options.sandbox ?? "workspace-write", approval: "never" };
  return { sandbox: options.sandbox, approval: "never" };
}

/** The banner's sandbox, as upstream prints it: workspace-write lists where it may write. */
function sandboxLabel(policy: SandboxPolicy | undefined): string | undefined {
  if (policy?.mode !== "workspace-write") return policy?.mode;
  const roots = [
    "workdir",
    ...(policy.excludeSlashTmp ? [] : ["/tmp"]),
    ...(policy.excludeTmpdirEnvVar ? [] : ["$TMPDIR"]),
    ...(policy.writableRoots ?? []),
  ];
  return `workspace-write [${roots.join(", ")}]`;
}

function colorEnabled(choice: ExecOptions["color"]): boolean {
  if (choice === "always") return true;
  if (choice === "never") return false;
  return process.stderr.isTTY === true && !process.env.NO_COLOR;
}

export async function runExec(
  promptArg: string | undefined,
  options: ExecOptions,
): Promise<number> {
  enterFolder(options.cd);
  if (options.oss || options.localProvider) {
    throw new UsageError(
      "--oss is not supported: add your local server (Ollama, LM Studio, vLLM, …) as a " +
        "[model_providers.<name>] entry with its base_url in config.toml and pick it with " +
        "-c model_provider=<name> (or put `tscodex serve` in front of a chat-completions server)",
    );
  }
  const featureFlags = featureOverrides(options.enable, options.disable);
  const backend = backendSwitches(options);
  const outputSchema = options.outputSchema === undefined
    ? undefined
    : await readOutputSchema(options.outputSchema);
  const cwd = process.cwd();
  if (!options.skipGitRepoCheck && !insideGitRepo(cwd)) {
    process.stderr.write(
      "Not inside a trusted directory and --skip-git-repo-check was not specified.\n",
    );
    return EXIT_FAILED;
  }
  const custom = await options.turn?.(cwd);
  const prompt = custom ? custom.hint : await resolvePrompt(promptArg);
  const images = await Promise.all((options.image ?? []).map(imageDataUrl));
  const localImages = (options.image ?? []).map((file) => resolve(file));
  const permissions = execPermissions(options);
  const json = options.json === true;
  const abort = new AbortController();
  // Standard output that cannot be written (a full disk under `> file`) stops the turn: whoever
  // reads it would get a partial answer or event stream without knowing.
  let outputFailure: FileError | undefined;
  const writeOut = (text: string) => {
    if (outputFailure) return;
    try {
      process.stdout.write(text);
    } catch (err) {
      outputFailure = new FileError("write to", "standard output", err);
      abort.abort();
    }
  };
  const writeJson = (event: ThreadEvent) => writeOut(JSON.stringify(event) + "\n");
  const log = new ExecLog(
    (text) => process.stderr.write(text),
    palette(colorEnabled(options.color)),
    cwd,
    (itemId) => view.details.get(itemId),
    () => view.usageReported,
    () => view.failureHint,
  );
  // Whether the turn's failure has been shown: a failure that was not is shown at the end.
  let failureShown = false;
  const show = (event: ThreadEvent) => {
    if (event.type === "turn.failed") failureShown = true;
    if (json) writeJson(event);
    else log.on(event);
  };
  const view = new ExecView(show);
  const session = await openAgentSession({
    cwd,
    model: options.model,
    configOverrides: [...options.config ?? [], ...featureFlags],
    ephemeral: options.ephemeral,
    addDirs: options.addDir,
    outputSchema,
    profile: options.profile,
    backend,
    originator: "codex_exec",
    source: "exec",
    resume: options.resume,
    sandboxMode: permissions.sandbox,
    approvalPolicy: permissions.approval,
    systemPrompt: options.systemPrompt,
    onEvent: (event) => {
      view.on(event);
      if (!json) log.agentEvent(event);
    },
    notice: (text) => process.stderr.write(text + "\n"),
  });
  const { agent } = session;
  if (session.priorUsage) view.countFrom(session.priorUsage);
  if (json) writeJson({ type: "thread.started", thread_id: agent.sessionId });
  else {
    log.header({
      version: VERSION,
      workdir: cwd,
      model: agent.options.model,
      provider: session.config.provider.id,
      approval: session.approvalPolicy,
      sandbox: sandboxLabel(agent.options.sandbox) ?? session.sandboxMode,
      reasoningEffort: session.config.reasoningEffort,
      reasoningSummary: session.config.reasoningSummary,
      sessionId: agent.sessionId,
    }, prompt);
    session.mcpStartup((event) => log.mcpStartup(event));
  }
  // Upstream also sends it as an error item in --json; that waits for the tests' made-up model
  // names to be told apart from a user's unknown model.
  if (!json && !modelInfo(agent.options.model).known) {
    view.warn(unknownModelWarning(agent.options.model));
  }
  // Ctrl-C and a polite kill both end the turn cleanly: commands are killed, the rollout closed.
  const onSigint = () => abort.abort();
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigint);
  let code: number;
  try {
    const lastMessage = custom
      ? await custom.run(session, view, abort.signal)
      : (await agent.runTurn([prompt], abort.signal, images, localImages)).lastMessage;
    if (options.outputLastMessage) await writeLastMessage(options.outputLastMessage, lastMessage);
    if (!json && lastMessage !== null) writeOut(lastMessage + "\n");
    code = EXIT_OK;
  } catch (err) {
    if (outputFailure) code = EXIT_FAILED;
    else if (err instanceof TurnInterruptedError) {
      process.stderr.write("Interrupted.\n");
      code = EXIT_INTERRUPTED;
    } else {
      // The last line of defence: a turn never fails without saying why.
      if (!failureShown) view.fail(err as Error);
      debugLog()?.fatal(err);
      // As upstream's log: a failed turn still ends with the tokens used, when there are figures.
      if (!json && view.usageReported) log.tokensUsed(view.usage);
      code = EXIT_FAILED;
    }
  } finally {
    process.off("SIGINT", onSigint);
    process.off("SIGTERM", onSigint);
  }
  if (outputFailure) {
    debugLog()?.fatal(outputFailure);
    process.stderr.write(`Error: ${outputFailure.message}\n`);
    code = EXIT_FAILED;
  }
  try {
    await session.close();
  } catch (err) {
    // Lines that could not be saved at the end (the rollout's final flush): not a silent loss.
    debugLog()?.fatal(err);
    process.stderr.write(`ERROR: ${(err as Error).message}\n`);
    code = EXIT_FAILED;
  }
  return code;
}

/**
 * `-o FILE`: the final message, also in a file. A file that cannot be written is a warning, as
 * in upstream's exec: the answer still goes to stdout and the run still succeeds.
 */
async function writeLastMessage(file: string, message: string | null): Promise<void> {
  try {
    await writeFile(file, message ?? "");
  } catch (err) {
    process.stderr.write(`Failed to write last message file "${file}": ${ioCause(err)}\n`);
  }
}
