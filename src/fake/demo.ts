// The built-in demo: a scripted model that drives a real tool loop, so `tscodex exec` shows what
// it does without any provider or API key. The final answer quotes the real command output.
import { parseScenario, type Scenario } from "./scenario.ts";

export const DEMO_SCENARIO: Scenario = parseScenario({
  name: "demo",
  description: "Runs two real commands through exec_command, then answers from their output.",
  responses: [
    {
      chunks: 3,
      output: [
        { type: "reasoning", summary: ["Start by looking at the working folder."] },
        {
          type: "function_call",
          call_id: "call_demo_folder",
          name: "exec_command",
          arguments: { cmd: "pwd && ls -A | head -n 15", yield_time_ms: 10000 },
        },
      ],
    },
    {
      chunks: 3,
      output: [
        {
          type: "function_call",
          call_id: "call_demo_system",
          name: "exec_command",
          arguments: { cmd: "uname -srm && date -u '+%Y-%m-%d %H:%M UTC'", yield_time_ms: 10000 },
        },
      ],
    },
    {
      chunks: 4,
      output: [
        {
          type: "message",
          text: [
            "This is the offline demo: a scripted model served by tscodex's embedded fake",
            "Responses server, driving the real agent loop and real tools.",
            "",
            "I ran `pwd && ls -A | head -n 15` on this machine, which printed:",
            "",
            "```",
            "{{output:call_demo_folder}}",
            "```",
            "",
            "Then `uname -srm && date -u`:",
            "",
            "```",
            "{{output:call_demo_system}}",
            "```",
            "",
            "To work with a real model, add a provider to $CODEX_HOME/config.toml",
            "(see README.md), or put `tscodex serve` in front of a chat-completions backend.",
          ].join("\n"),
        },
      ],
    },
  ],
});
