// argv → subcommand. Usage errors exit 2, failed turns 1, interrupts 130.
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { resolve } from "node:path";
import process from "node:process";
import { FileError, ioCause, ListenError } from "../platform/mod.ts";
import { ConfigError } from "../config/mod.ts";
import { RolloutReadError, SessionNotFoundError } from "../session/mod.ts";
import { CODE_CELL_SUBCOMMAND, runCodeCell } from "../tools/mod.ts";
import { debugLog } from "./debug_log.ts";
import { EXIT_FAILED, EXIT_USAGE, runExec, UsageError } from "./exec.ts";
import { registerMcpCommands } from "./mcp_commands.ts";
import { VERSION } from "./version.ts";

function parsePort(value: string): string {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError("expected a port number from 0 to 65535");
  }
  return value;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];
/** Upstream's exec takes every value after one -i as an image, commas splitting them too. */
const collectImages = (value: string, previous: string[] = []) => [
  ...previous,
  ...value.split(",").filter(Boolean),
];

/** Upstream's short name for the bypass flag; only before `--`, where flags end. */
function expandYolo(argv: string[]): string[] {
  const end = argv.includes("--") ? argv.indexOf("--") : argv.length;
  return argv.map((arg, i) =>
    i < end && arg === "--yolo" ? "--dangerously-bypass-approvals-and-sandbox" : arg
  );
}

/** The flags every agent surface takes (exec, the REPL, resume), as upstream's do. */
function withAgentOptions(command: Command, fullAuto: string): Command {
  return command
    .option("-C, --cd <dir>", "work in this directory")
    .option("-m, --model <model>", "the model to use")
    .option(
      "-c, --config <key=value>",
      "override a config.toml key (repeatable); the value is TOML, else a plain string",
      collect,
    )
    .option("-p, --profile <name>", "use the [profiles.<name>] table of config.toml")
    .addOption(
      new Option("-s, --sandbox <mode>", "sandbox for model commands")
        .choices(["read-only", "workspace-write", "danger-full-access"]),
    )
    .option("--full-auto", fullAuto)
    .option(
      "--dangerously-bypass-approvals-and-sandbox",
      "run commands without a sandbox and without asking (only for already-isolated machines); " +
        "--yolo for short",
    )
    .option("--enable <feature>", "turn a feature flag on (repeatable)", collect)
    .option("--disable <feature>", "turn a feature flag off (repeatable)", collect)
    .option(
      "--add-dir <dir>",
      "another folder commands may write to under workspace-write (repeatable)",
      collect,
    )
    .option(
      "--use-chat-completion",
      "the provider's base_url is a chat-completions backend: reach it through an in-process proxy",
    )
    .option(
      "--use-messages",
      "the provider's base_url is an Anthropic messages backend: reach it through an in-process proxy",
    )
    .option(
      "--vllm-endpoint <url>",
      "use the vLLM (chat-completions) server at this URL; /v1 is added when it has no path",
    );
}

/** The flags of the interactive CLI, on `tscodex` itself and on `tscodex resume`. */
function withReplOptions(command: Command): Command {
  return withAgentOptions(
    command,
    "workspace-write sandbox, and the model asks when it needs more",
  ).addOption(
    new Option("-a, --ask-for-approval <policy>", "when to ask before running a command")
      .choices(["untrusted", "on-failure", "on-request", "never"]),
  );
}

/**
 * The flags `exec` and `exec resume` share, as upstream's exec takes them. Upstream's exec takes
 * several images after one -i (so a prompt after them counts as an image too); its resume, one.
 */
function withExecOptions(command: Command, images: "several" | "one" = "one"): Command {
  return withAgentOptions(command, "run commands in the workspace-write sandbox without asking")
    .option(
      images === "several" ? "-i, --image <files...>" : "-i, --image <file>",
      images === "several"
        ? "attach images to the prompt (several after one -i, or comma-separated)"
        : "attach an image to the prompt (repeatable)",
      images === "several" ? collectImages : collect,
    )
    .option("--skip-git-repo-check", "allow running outside a git repository")
    .option("--json", "print the thread events as JSON lines on stdout")
    .option("-o, --output-last-message <file>", "also write the final message to this file")
    .addOption(
      new Option("--color <when>", "colour the log on stderr").choices(["always", "never", "auto"]),
    )
    .option("--system-prompt <text>", "replace the base instructions")
    .option("--ephemeral", "keep no record of the session (no rollout file)")
    .option("--output-schema <file>", "a JSON Schema file the final answer must follow")
    .option("--progress-cursor", "accepted for compatibility; the log has no cursor to move")
    .option("--oss", "use a local open-source model server (not supported: configure a provider)")
    .option("--local-provider <name>", "with --oss, which local server (not supported)");
}

/**
 * `serve` and `conformance` bring large modules of their own, so they are loaded only when the
 * command line may name them (or asks for help). Anything else starts without them.
 */
async function addHeavyCommands(
  program: Command,
  argv: string[],
  setExit: (code: number) => void,
): Promise<void> {
  const help = argv.some((arg) => ["help", "--help", "-h"].includes(arg));
  if (help || argv.includes("serve")) {
    const { configureServe } = await import("./serve.ts");
    configureServe(program.command("serve"), setExit);
  }
  if (help || argv.includes("conformance")) {
    const { registerConformance } = await import("./conformance.ts");
    registerConformance(program, setExit);
  }
}

function buildProgram(setExit: (code: number) => void, argvHasSeparator: boolean): Command {
  const program = new Command()
    .name("tscodex")
    .description("A Codex-compatible coding agent in one binary.")
    .version(`tscodex ${VERSION}`, "-V, --version", "print the version")
    // The REPL's own -m/-c/-p apply before a subcommand only, so `exec -m …` reaches exec.
    .enablePositionalOptions()
    .exitOverride()
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({ writeErr: (text) => process.stderr.write(text) })
    .helpCommand("help [command]", "show the help of tscodex or of one of its commands");

  const exec = withExecOptions(
    program.command("exec")
      .alias("e")
      .description("run one turn non-interactively; the final message goes to stdout")
      .argument("[prompt]", "the prompt; `-` or omitted reads it from stdin")
      .version(`tscodex-exec ${VERSION}`, "-V, --version", "print the version"),
    "several",
  ).action(async (prompt: string | undefined, opts) => {
    setExit(await runExec(prompt, opts));
  });
  withExecOptions(
    exec.command("resume")
      .description("continue a recorded session with one more turn")
      .argument("[session]", "the session id (or thread name); with --last, the prompt")
      .argument("[prompt]", "the prompt; `-` or omitted reads it from stdin")
      .option("--last", "continue the most recent session started in this directory")
      .option("--all", "with --last, consider sessions from every directory"),
  ).action(async (session: string | undefined, prompt: string | undefined, opts, command) => {
    // Flags may be given before `resume` (on exec) or after it.
    const merged = { ...command.parent.opts(), ...opts };
    if (!merged.last && !session) {
      throw new UsageError("exec resume needs a session id or --last");
    }
    const resume = merged.last
      ? { last: true as const, cwd: merged.all ? undefined : resolve(merged.cd ?? process.cwd()) }
      : { id: session! };
    setExit(await runExec(merged.last ? session ?? prompt : prompt, { ...merged, resume }));
  });

  withExecOptions(
    exec.command("review")
      .description("review code changes in a thread of its own; the findings go to the log")
      .argument("[prompt]", "review instructions (used when no target flag is given)")
      .addOption(
        new Option("--uncommitted", "review staged, unstaged and untracked changes")
          .conflicts(["base", "commit"]),
      )
      .addOption(
        new Option("--base <branch>", "review the changes against this base branch")
          .conflicts(["uncommitted", "commit"]),
      )
      .addOption(
        new Option("--commit <sha>", "review the changes made by this commit")
          .conflicts(["uncommitted", "base"]),
      )
      .option("--title <title>", "with --commit, the commit's title for the review"),
  ).action(async (prompt: string | undefined, opts, command) => {
    const { runReview } = await import("./review.ts");
    setExit(await runReview(prompt, { ...command.parent.opts(), ...opts }));
  });

  withReplOptions(
    program.command("resume")
      .description("continue a recorded session interactively (a picker without a session)")
      .argument("[session]", "the session id (or thread name)")
      .argument("[prompt]", "a first message for the resumed session")
      .option("--last", "the most recent session started in this directory")
      .option("--all", "consider sessions from every directory"),
  ).action(async (session: string | undefined, prompt: string | undefined, opts) => {
    const cwd = () => resolve(opts.cd ?? process.cwd());
    const resume = opts.last
      ? { last: true as const, cwd: opts.all ? undefined : cwd() }
      : session
      ? { id: session }
      : undefined;
    const pick = resume ? undefined : { cwd: opts.all ? undefined : cwd() };
    const { runRepl } = await import("./repl/mod.ts");
    setExit(await runRepl(opts.last ? session ?? prompt : prompt, { ...opts, resume, pick }));
  });

  withAgentOptions(
    program.command("js")
      .description("a JavaScript REPL with the agent in it: .agent <prompt> asks it"),
    "workspace-write sandbox for the agent's commands",
  ).action(async (opts) => {
    const { runJsRepl } = await import("./js_repl.ts");
    setExit(await runJsRepl(opts));
  });

  program.command("doctor")
    .description("check that the configured provider can be reached and answers")
    .option("--json", "print the checks as JSON")
    .option("--skip-live", "do not send a live request")
    .option("-p, --profile <name>", "check the provider this [profiles.<name>] table selects")
    .action(async (opts) => {
      const { runDoctor } = await import("./doctor.ts");
      setExit(await runDoctor(opts));
    });

  registerMcpCommands(program, setExit);

  program.command("feishu-oauth")
    .description("authorize the Feishu / Lark app as you, so /link cards come from you")
    .option("--code <code>", "the code the authorize page gave (or the address it went to)")
    .option("--redirect-uri <url>", "the app's redirect URL (default https://httpbin.org/get)")
    .option("--authorize-url <url>", "the authorize page (default: Feishu's, or Lark's)")
    .action(async (opts) => {
      const { runFeishuOauth } = await import("./feishu_oauth.ts");
      setExit(await runFeishuOauth(opts));
    });

  program.command("storage-server")
    .description("keep sealed portable homes for --put and --call (content-addressed)")
    .requiredOption("--root <dir>", "folder the sealed homes are kept in")
    .option("--listen <host:port>", "address to listen on (loopback only)", "127.0.0.1:5577")
    .option("--allow-remote", "allow --listen to be an address other machines can reach")
    .action(async (opts) => {
      const { runStorageServer } = await import("./portable.ts");
      setExit(await runStorageServer(opts));
    });

  program.command("fake-server")
    .description("serve a scripted scenario as a Responses API over HTTP/SSE")
    .option("--scenario <file>", "scenario JSON file (default: the built-in demo)")
    .addOption(
      new Option("--port <port>", "port to listen on; 0 picks a free one").default("0").argParser(
        parsePort,
      ),
    )
    .option("--host <host>", "address to bind (loopback unless --allow-remote)", "127.0.0.1")
    .option("--allow-remote", "allow --host to be an address other machines can reach")
    .option("--record <dir>", "append every request to <dir>/requests.jsonl")
    .action(async (opts) => {
      const { runFakeServer } = await import("./fake_server.ts");
      setExit(await runFakeServer(opts));
    });

  withReplOptions(program.argument("[prompt]", "start the interactive session with this prompt"))
    .option(
      "--put [spec]",
      "upload a portable home, [DIR]@HOST:PORT (DIR: CODEX_HOME), and print its --call line",
    )
    .option(
      "--call <spec>",
      "run with the home a --put printed (SECRET-ID@HOST:PORT), before exec or a prompt",
    )
    // --call comes before the command it serves: its home is this run's CODEX_HOME.
    .hook("preAction", async (root, command) => {
      const { put, call } = root.opts();
      if (put !== undefined && (command !== root || call !== undefined)) {
        throw new UsageError("--put runs on its own: no command, prompt or --call with it");
      }
      if (call === undefined) return;
      const { useCalledHome } = await import("./portable.ts");
      await useCalledHome(call);
    })
    .action(async (prompt: string | undefined, opts) => {
      if (opts.put !== undefined) {
        if (prompt !== undefined) {
          throw new UsageError("--put runs on its own: no command, prompt or --call with it");
        }
        const { runPut } = await import("./portable.ts");
        return setExit(await runPut(opts.put));
      }
      if (prompt !== undefined && /^[a-z][a-z-]*$/.test(prompt) && !argvHasSeparator) {
        throw new UsageError(
          `unknown command '${prompt}' (see --help); to start a session with a one-word prompt, ` +
            `write: tscodex -- ${prompt}`,
        );
      }
      const { runRepl } = await import("./repl/mod.ts");
      setExit(await runRepl(prompt, opts));
    });
  return program;
}

/** Runs the CLI and returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  // How a compiled binary runs a code-mode cell in a child process of itself; not for users.
  if (argv[0] === CODE_CELL_SUBCOMMAND) {
    await runCodeCell();
    return 0;
  }
  // A reader that stops early (`| head`) closes our stdout; end quietly as shell tools do. Any
  // other failure to write it (a full disk under `> file`) ends the run with the cause.
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(0);
    process.stderr.write(`Error: cannot write to standard output: ${ioCause(err)}\n`);
    process.exit(EXIT_FAILED);
  });
  // A failure outside any awaited path (a listener, a timer) still ends as one sentence.
  const fatal = (err: unknown) => process.exit(reportFailure(err));
  process.on("uncaughtException", fatal);
  process.on("unhandledRejection", fatal);
  if (argv[0] === "--serve") argv = ["serve", ...argv.slice(1)];
  argv = expandYolo(argv);
  const debug = debugLog();
  // The subcommand, never a prompt: the REPL's first argument may be the user's text.
  debug?.begin(/^[a-z][a-z-]*$/.test(argv[0] ?? "") ? argv[0] : "(interactive)");
  let exitCode = 0;
  const setExit = (code: number) => (exitCode = code);
  const program = buildProgram(setExit, argv.includes("--"));
  await addHeavyCommands(program, argv, setExit);
  try {
    await program.parseAsync(argv, { from: "user" });
    debug?.mark("done", `exit ${exitCode}`);
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help (asked for with --help or `help`) and the version end with exit code 0.
      if (err.exitCode === 0) return 0;
      return EXIT_USAGE;
    }
    if (err instanceof UsageError) {
      debug?.mark("failed", `usage: ${err.message}`);
      process.stderr.write(`Error: ${err.message}\n`);
      return err.exitCode;
    }
    return reportFailure(err);
  }
}

/** Failures that explain themselves: their message is the whole story for the user. */
function isExplained(err: unknown): boolean {
  return err instanceof ConfigError || err instanceof FileError ||
    // PortableError by name: the portable module is loaded only for --put, --call and its server.
    (err as Error)?.name === "PortableError" ||
    err instanceof ListenError || err instanceof SessionNotFoundError ||
    err instanceof RolloutReadError ||
    // ScenarioError by name: the fake server's module is not loaded unless it is used.
    (err as Error)?.name === "ScenarioError";
}

/**
 * The last line of defence: every failure is one sentence on stderr and exit 1, never a stack
 * trace. One nobody anticipated also says where its details can be kept.
 */
export function reportFailure(err: unknown): number {
  debugLog()?.fatal(err);
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`Error: ${message}\n`);
  if (!isExplained(err)) {
    process.stderr.write(
      "tscodex: this failure was not expected; run again with TSCODEX_DEBUG_LOG=<folder> " +
        "to keep its details for a bug report\n",
    );
  }
  return EXIT_FAILED;
}
