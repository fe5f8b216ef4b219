// The one test for "the conversation no longer fits the model's context window", used by the
// Responses client (to compact or stop) and by serve (to tell its clients so with the code they
// act on). The code `context_length_exceeded` settles it; without one, the wording of the
// servers people run decides. Each phrase is specific to running out of window: a bare
// "context" or "too many tokens" also appears in settings errors and per-minute rate limits.
const OVERFLOW_CODES: ReadonlySet<string> = new Set([
  "context_length_exceeded",
  "context_window_exceeded",
  "exceed_context_size_error", // llama.cpp's error type
]);

const OVERFLOW_TEXT: readonly RegExp[] = [
  /context_length_exceeded|context_window_exceeded|exceed_context_size/i,
  // OpenAI, vLLM, DeepSeek, OpenRouter: "This model's maximum context length is 8192 tokens".
  /maximum context length/i,
  // OpenAI Responses: "Your input exceeds the context window of this model".
  /exceed(?:s|ed)? (?:the |its |your )?(?:model's |available )?context (?:window|size|length|limit)/i,
  // Anthropic: "prompt is too long: 208000 tokens > 200000 maximum", and
  // "input length and `max_tokens` exceed context limit: 188000 + 20000 > 200000".
  /prompt is too long|exceed context limit/i,
  // vLLM: "The decoder prompt (length 9000) is longer than the maximum model length of 8192".
  /longer than the maximum model length/i,
  // SGLang: "The input (9000 tokens) is longer than the model's context length (8192 tokens)".
  /longer than the model's context length/i,
  // Mistral: "… too large for model with 32768 maximum context length".
  /too large for model with \d+ maximum context length/i,
  // Text Generation Inference: "`inputs` tokens + `max_new_tokens` must be <= 4096".
  /`?inputs`? tokens \+ `?max_new_tokens`? must be <=/i,
  // Gemini: "The input token count (1048577) exceeds the maximum number of tokens allowed".
  /input token count \(?\d+\)? exceeds the maximum number of tokens/i,
  // Bedrock: "Input is too long for requested model."
  /input is too long for (?:the )?requested model/i,
  // Generic wording: "context length exceeded", "context window exceeded".
  /context (?:length|window) (?:is |was )?exceeded/i,
];

/** Whether an error (its code, when the server gave one, and its text) means the window overflowed. */
export function isContextOverflow(text: string, code?: string | null): boolean {
  if (code && OVERFLOW_CODES.has(code)) return true;
  return OVERFLOW_TEXT.some((pattern) => pattern.test(text));
}
