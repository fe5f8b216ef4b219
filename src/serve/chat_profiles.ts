// Provider processors for chat-completions backends, in one place. Each is data: how the
// request's developer text is addressed, under which field reasoning is replayed, and whether
// usage is asked for. `--provider` picks one; unknown names are refused with the list.

export interface ChatProfile {
  name: string;
  /** Role for instructions and developer messages; many servers only know `system`. */
  developerRole: "developer" | "system";
  /** The assistant-message field that carries replayed reasoning. */
  reasoningField: "reasoning" | "reasoning_content";
  /** Ask for the usage chunk (`stream_options.include_usage`). */
  includeUsage: boolean;
  /** Whether the backend takes PDF files as `file` content parts (OpenAI's chat wire does). */
  fileParts: boolean;
}

export const CHAT_PROFILES: Readonly<Record<string, ChatProfile>> = {
  // OpenAI and servers that copy it closely.
  openai: {
    name: "openai",
    developerRole: "developer",
    reasoningField: "reasoning_content",
    includeUsage: true,
    fileParts: true,
  },
  // vLLM: the request as translated, reasoning under vLLM's current field name.
  vllm: {
    name: "vllm",
    developerRole: "developer",
    reasoningField: "reasoning",
    includeUsage: true,
    fileParts: false,
  },
  stepfun: {
    name: "stepfun",
    developerRole: "system",
    reasoningField: "reasoning",
    includeUsage: true,
    fileParts: false,
  },
  // DeepSeek thinking mode needs the reasoning echoed back as `reasoning_content`.
  deepseek: {
    name: "deepseek",
    developerRole: "system",
    reasoningField: "reasoning_content",
    includeUsage: true,
    fileParts: false,
  },
};

export const DEFAULT_CHAT_PROFILE = "openai";

export function chatProfile(name: string = DEFAULT_CHAT_PROFILE): ChatProfile {
  const profile = CHAT_PROFILES[name];
  if (!profile) {
    throw new Error(
      `unknown provider "${name}"; known providers: ${Object.keys(CHAT_PROFILES).join(", ")}`,
    );
  }
  return profile;
}
