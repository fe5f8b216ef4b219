// Loads the effective configuration: CODEX_HOME/.env into the environment, config.toml (smol-toml,
// then zod), the selected profile and the -c overrides, resolved to one provider endpoint.
// Precedence, lowest first: built-in defaults < config.toml < profile < -c < command-line flags.
import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import process from "node:process";
import { parse, TomlError } from "smol-toml";
import { loadCodexDotenv } from "./dotenv.ts";
import { ConfigError, describeIssue, keyPathText, looksSecret } from "./errors.ts";
import { codexHome, requireFolder } from "./home.ts";
import { type McpServerConfig, mcpServers } from "./mcp_servers.ts";
import { ioCause } from "../platform/mod.ts";
import {
  applyOverrides,
  type ConfigOverride,
  isTable,
  mergeTables,
  parseOverride,
  type Table,
} from "./overrides.ts";
import { OPENAI_KEY_VARIABLES, type ResolvedProvider, resolveProvider } from "./providers.ts";
import { type ShellEnvironmentPolicy, shellEnvironmentPolicy } from "./shell_environment.ts";
import {
  type ApprovalPolicy,
  ConfigToml,
  type Personality,
  type ReasoningEffort,
  type ReasoningSummary,
  type SandboxMode,
  type Verbosity,
} from "./schema.ts";

/** Upstream 0.115's default model when config.toml names none. */
export const DEFAULT_MODEL = "gpt-5.3-codex";

export interface LoadOptions {
  /** CODEX_HOME; defaults to `$CODEX_HOME` or ~/.codex. */
  home?: string;
  /** The environment to read (and to load `.env` into); defaults to `process.env`. */
  env?: Record<string, string | undefined>;
  /** Raw `-c key=value` flags, in command-line order (later ones win). */
  overrides?: readonly string[];
  /** `--profile`; wins over the `profile` key. */
  profile?: string;
  /** `--model`; wins over everything. */
  model?: string;
  /** Sent as the built-in OpenAI provider's `version` header. */
  clientVersion?: string;
}

export interface Config {
  home: string;
  /** The config.toml path (it may not exist when only -c flags configure tscodex). */
  file: string;
  profile?: string;
  model: string;
  provider: ResolvedProvider;
  reasoningEffort?: ReasoningEffort;
  reasoningSummary?: ReasoningSummary;
  verbosity?: Verbosity;
  supportsReasoningSummaries?: boolean;
  webSearch?: "cached" | "live" | "disabled";
  contextWindow?: number;
  autoCompactTokenLimit?: number;
  /** Replaces the model's tool-output budget (in tokens; about 4 bytes each for byte budgets). */
  toolOutputTokenLimit?: number;
  /** `base_instructions`, else the contents of `model_instructions_file`. */
  baseInstructions?: string;
  developerInstructions?: string;
  /** `user_instructions`: sent with CODEX_HOME's AGENTS.md. */
  userInstructions?: string;
  /** `project_doc_max_bytes`: the budget of the project's AGENTS.md files. */
  projectDocMaxBytes?: number;
  /** `personality`: unset means the model's default (pragmatic where it takes one). */
  personality?: Personality;
  approvalPolicy?: ApprovalPolicy;
  sandboxMode?: SandboxMode;
  features: Record<string, boolean>;
  /** `[agents] max_threads`: how many sub-agents may be open at once. */
  agentMaxThreads?: number;
  /** `[mcp_servers]`, in file order (disabled ones included). */
  mcpServers: McpServerConfig[];
  /** What the commands the model runs see of tscodex's environment. */
  shellEnvironment: ShellEnvironmentPolicy;
  /** The merged table (file < profile < -c), for keys read elsewhere. */
  table: ConfigToml;
}

function readToml(file: string): Table {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError(`cannot read ${file}: ${ioCause(err)}; fix it or remove it`);
  }
  try {
    return parse(text);
  } catch (err) {
    if (!(err instanceof TomlError)) throw err;
    const reason = err.message.split("\n")[0].replace(/^Invalid TOML document:\s*/, "");
    const line = text.split(/\r\n|\n/)[err.line - 1] ?? "";
    const gutter = String(err.line);
    // The offending line helps, unless it holds something that looks like a credential.
    const frame = line && !looksSecret(line)
      ? `\n  ${gutter} | ${line}\n  ${" ".repeat(gutter.length)} | ${" ".repeat(err.column - 1)}^`
      : "";
    throw new ConfigError(`${file}:${err.line}:${err.column}: invalid TOML: ${reason}${frame}`);
  }
}

/** Validates `table`; a failure names the key path and, when a -c flag set it, the flag. */
function validate(table: Table, source: string, overrides: readonly ConfigOverride[]): ConfigToml {
  const parsed = ConfigToml.safeParse(table);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = keyPathText(issue.path) || "(top level)";
  const flag = overrides.findLast((o) =>
    o.path.every((part, i) => i >= issue.path.length || part === String(issue.path[i]))
  );
  const flagPath = flag && keyPathText(flag.path);
  const where = !flag
    ? `${source}: ${path}`
    : flagPath === path
    ? `-c ${path}`
    : `-c ${flagPath}: ${path}`;
  throw new ConfigError(`${where}: ${describeIssue(issue, table)}`);
}

function readInstructionsFile(home: string, name: string): string {
  const file = isAbsolute(name) ? name : join(home, name);
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError(
      `model_instructions_file: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`,
    );
  }
}

/** Variables that configure the built-in `openai` provider without a config.toml, as upstream's. */
const CONFIGURING_VARIABLES = [...OPENAI_KEY_VARIABLES, "OPENAI_BASE_URL"];

/**
 * The effective configuration, or `null` when nothing configures a provider (no config.toml, no
 * -c flags, no profile, no OpenAI key or base URL in the environment): the CLI then runs its
 * offline demo.
 */
export function loadConfig(options: LoadOptions = {}): Config | null {
  const env = options.env ?? process.env;
  const home = options.home ?? codexHome(env);
  requireFolder(home);
  loadCodexDotenv(home, env);
  const file = join(home, "config.toml");
  const overrides = (options.overrides ?? []).map(parseOverride);
  const hasFile = existsSync(file);
  const envConfigures = CONFIGURING_VARIABLES.some((name) => env[name]?.trim());
  if (!hasFile && overrides.length === 0 && options.profile === undefined && !envConfigures) {
    return null;
  }

  // Overrides go in before the profile is chosen (so `-c profile=x` and `-c profiles.x.k=v`
  // work) and again after it is merged, so that -c outranks the profile.
  const layered = validate(
    applyOverrides(hasFile ? readToml(file) : {}, overrides),
    file,
    overrides,
  );
  const profileName = options.profile ?? layered.profile;
  let merged: Table = layered;
  if (profileName !== undefined) {
    const profile = layered.profiles?.[profileName];
    if (!profile) {
      const known = Object.keys(layered.profiles ?? {});
      throw new ConfigError(
        `profile "${profileName}" is not defined in ${file}` +
          (known.length ? ` (defined: ${known.join(", ")})` : " (it has no [profiles] tables)"),
      );
    }
    merged = applyOverrides(mergeTables(layered, profile), overrides);
  }
  const table = validate(merged, file, overrides);

  const providerId = table.model_provider ?? "openai";
  const provider = resolveProvider(providerId, table.model_providers?.[providerId], {
    env,
    home,
    file,
    clientVersion: options.clientVersion,
    useChatCompletion: table.use_chat_completion,
  });
  const baseInstructions = table.base_instructions ??
    (table.model_instructions_file !== undefined
      ? readInstructionsFile(home, table.model_instructions_file)
      : undefined);
  return {
    home,
    file,
    profile: profileName,
    model: options.model ?? table.model ?? DEFAULT_MODEL,
    provider,
    reasoningEffort: table.model_reasoning_effort,
    reasoningSummary: table.model_reasoning_summary,
    verbosity: table.model_verbosity,
    supportsReasoningSummaries: table.model_supports_reasoning_summaries,
    webSearch: table.web_search,
    contextWindow: table.model_context_window,
    autoCompactTokenLimit: table.model_auto_compact_token_limit,
    toolOutputTokenLimit: table.tool_output_token_limit,
    baseInstructions,
    developerInstructions: table.developer_instructions,
    userInstructions: table.user_instructions,
    projectDocMaxBytes: table.project_doc_max_bytes,
    personality: table.personality,
    approvalPolicy: table.approval_policy,
    sandboxMode: table.sandbox_mode,
    features: isTable(table.features) ? { ...table.features } : {},
    agentMaxThreads: table.agents?.max_threads,
    mcpServers: mcpServers(table.mcp_servers),
    shellEnvironment: shellEnvironmentPolicy(table.shell_environment_policy),
    table,
  };
}
