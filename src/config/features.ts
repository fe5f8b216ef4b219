// Feature flags by name, as upstream Codex 0.115.0 lists them (`codex features list`), so that
// `--enable` / `--disable` refuse a misspelt name instead of silently doing nothing. tscodex acts
// on a few of them (multi_agent, code_mode, request_permissions_tool); the others are accepted
// and recorded in the config like any `[features]` key.
import { ConfigError } from "./errors.ts";

export const KNOWN_FEATURES: readonly string[] = [
  "apply_patch_freeform",
  "apps",
  "artifact",
  "child_agents_md",
  "code_mode",
  "code_mode_only",
  "codex_git_commit",
  "codex_hooks",
  "collaboration_modes",
  "default_mode_request_user_input",
  "elevated_windows_sandbox",
  "enable_fanout",
  "enable_request_compression",
  "exec_permission_approvals",
  "experimental_windows_sandbox",
  "fast_mode",
  "guardian_approval",
  "image_detail_original",
  "image_generation",
  "js_repl",
  "js_repl_tools_only",
  "memories",
  "multi_agent",
  "personality",
  "plugins",
  "powershell_utf8",
  "prevent_idle_sleep",
  "realtime_conversation",
  "remote_models",
  "request_permissions_tool",
  "request_rule",
  "responses_websockets",
  "responses_websockets_v2",
  "runtime_metrics",
  "search_tool",
  "shell_snapshot",
  "shell_tool",
  "shell_zsh_fork",
  "skill_env_var_dependency_prompt",
  "skill_mcp_dependency_install",
  "sqlite",
  "steer",
  "tool_call_mcp_elicitation",
  "tool_suggest",
  "undo",
  "unified_exec",
  "use_legacy_landlock",
  "use_linux_sandbox_bwrap",
  "voice_transcription",
  "web_search_cached",
  "web_search_request",
];

/**
 * `--enable` / `--disable` as `-c features.<name>=true|false` overrides (applied after the
 * user's own `-c` flags, as upstream applies them). An unknown name is an error.
 */
export function featureOverrides(enable: string[] = [], disable: string[] = []): string[] {
  const flag = (name: string, on: boolean) => {
    if (!KNOWN_FEATURES.includes(name)) {
      throw new ConfigError(
        `unknown feature flag: ${name} (--${on ? "enable" : "disable"}); known flags: ` +
          KNOWN_FEATURES.join(", "),
      );
    }
    return `features.${name}=${on}`;
  };
  return [...enable.map((name) => flag(name, true)), ...disable.map((name) => flag(name, false))];
}
