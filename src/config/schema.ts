// The config.toml keys tscodex reads, as zod schemas. Tables are loose: real Codex configs carry
// many keys we do not use (MCP servers, TUI settings, …) and must keep loading. No defaults here:
// they are applied once, after file, profile and -c layers are merged (see load.ts), so a layer
// never masks another with a default it did not write.
import { z } from "zod";
import { McpServerToml } from "./mcp_servers.ts";
import { ShellEnvironmentPolicyToml } from "./shell_environment.ts";

export const ReasoningEffort = z.enum(["none", "minimal", "low", "medium", "high", "xhigh"]);
export type ReasoningEffort = z.infer<typeof ReasoningEffort>;
export const ReasoningSummary = z.enum(["auto", "concise", "detailed", "none"]);
export type ReasoningSummary = z.infer<typeof ReasoningSummary>;
export const Verbosity = z.enum(["low", "medium", "high"]);
export type Verbosity = z.infer<typeof Verbosity>;
export const ApprovalPolicy = z.enum(["untrusted", "on-failure", "on-request", "never"]);
export type ApprovalPolicy = z.infer<typeof ApprovalPolicy>;
export const SandboxMode = z.enum(["read-only", "workspace-write", "danger-full-access"]);
export type SandboxMode = z.infer<typeof SandboxMode>;
/** The tone the base instructions set, for the models whose catalog entry takes one. */
export const Personality = z.enum(["none", "friendly", "pragmatic"]);
export type Personality = z.infer<typeof Personality>;

const StringMap = z.record(z.string(), z.string());
/** A switch as the seed reads one: a TOML boolean, or one of the words people write for it. */
const Switch = z.union([
  z.boolean(),
  z.enum(["1", "true", "yes", "on", "0", "false", "no", "off"]).transform((word) =>
    ["1", "true", "yes", "on"].includes(word)
  ),
]);
// Upstream rejects retry counts above 100.
const RetryCount = z.number().int().min(0).max(100);

export const ProviderToml = z.looseObject({
  name: z.string().optional(),
  base_url: z.url({ protocol: /^https?$/ }).optional(),
  env_key: z.string().min(1).optional(),
  /** Extra help appended to the "variable is not set" error. */
  env_key_instructions: z.string().optional(),
  /**
   * "responses", or "chat" / "messages" for a backend tscodex reaches through its own serve proxy,
   * started in-process. Checked when the provider is selected, so a stray value elsewhere loads.
   */
  wire_api: z.string().optional(),
  /** The seed's spelling of `wire_api = "chat"`; a top-level or profile value wins over this. */
  use_chat_completion: Switch.optional(),
  /** How serve's chat translation addresses this backend (`tscodex serve --provider`). */
  chat_profile: z.string().min(1).optional(),
  query_params: StringMap.optional(),
  http_headers: StringMap.optional(),
  /** Header name → environment variable holding its value; unset variables send no header. */
  env_http_headers: StringMap.optional(),
  request_max_retries: RetryCount.optional(),
  stream_max_retries: RetryCount.optional(),
  stream_idle_timeout_ms: z.number().int().min(1).optional(),
});
export type ProviderToml = z.infer<typeof ProviderToml>;

/** Keys a profile may set; the same keys at the top level are the defaults profiles override. */
const ProfileKeys = {
  model: z.string().min(1).optional(),
  model_provider: z.string().min(1).optional(),
  /** The selected provider is a chat-completions backend, bridged in-process (the seed's key). */
  use_chat_completion: Switch.optional(),
  model_reasoning_effort: ReasoningEffort.optional(),
  model_reasoning_summary: ReasoningSummary.optional(),
  model_verbosity: Verbosity.optional(),
  /** Forces `reasoning` on (or off) for a model the catalog does not know. */
  model_supports_reasoning_summaries: z.boolean().optional(),
  /** The web_search tool: "cached" (the default), "live" (external web access) or "disabled". */
  web_search: z.enum(["cached", "live", "disabled"]).optional(),
  model_context_window: z.number().int().positive().optional(),
  model_auto_compact_token_limit: z.number().int().optional(),
  tool_output_token_limit: z.number().int().positive().optional(),
  base_instructions: z.string().optional(),
  model_instructions_file: z.string().min(1).optional(),
  developer_instructions: z.string().optional(),
  /** Instructions of the user's own, sent with CODEX_HOME's AGENTS.md. */
  user_instructions: z.string().optional(),
  /** How many bytes of the project's AGENTS.md files are sent; 0 sends none. */
  project_doc_max_bytes: z.number().int().min(0).optional(),
  personality: Personality.optional(),
  approval_policy: ApprovalPolicy.optional(),
  sandbox_mode: SandboxMode.optional(),
  features: z.record(z.string(), z.boolean()).optional(),
};

export const ProfileToml = z.looseObject(ProfileKeys);
export type ProfileToml = z.infer<typeof ProfileToml>;

/** `[sandbox_workspace_write]`: what the workspace-write sandbox adds or leaves out. */
export const SandboxWorkspaceWriteToml = z.looseObject({
  writable_roots: z.array(z.string().min(1)).optional(),
  network_access: z.boolean().optional(),
  exclude_tmpdir_env_var: z.boolean().optional(),
  exclude_slash_tmp: z.boolean().optional(),
});

/** `[agents]`: how many sub-agents may be open at once. */
export const AgentsToml = z.looseObject({
  max_threads: z.number().int().positive().optional(),
});

export const ConfigToml = z.looseObject({
  ...ProfileKeys,
  agents: AgentsToml.optional(),
  sandbox_workspace_write: SandboxWorkspaceWriteToml.optional(),
  shell_environment_policy: ShellEnvironmentPolicyToml.optional(),
  profile: z.string().min(1).optional(),
  profiles: z.record(z.string(), ProfileToml).optional(),
  model_providers: z.record(z.string(), ProviderToml).optional(),
  mcp_servers: z.record(z.string(), McpServerToml).optional(),
});
export type ConfigToml = z.infer<typeof ConfigToml>;
