import assert from "node:assert/strict";
import { isContextOverflow } from "./overflow.ts";

// What servers people run say when a conversation no longer fits, and errors that only look close.
const OVERFLOWS: Array<[string, string, string?]> = [
  [
    "OpenAI chat",
    "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens. Please reduce the length of the messages.",
  ],
  [
    "OpenAI Responses",
    "Your input exceeds the context window of this model. Please adjust your input and try again.",
  ],
  ["code alone", "Bad request", "context_length_exceeded"],
  ["code in a JSON body", '{"error":{"message":"Bad request","code":"context_length_exceeded"}}'],
  ["Anthropic", "prompt is too long: 208000 tokens > 200000 maximum"],
  [
    "Anthropic, JSON",
    '{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 210000 tokens > 200000 maximum"}}',
  ],
  [
    "Anthropic with max_tokens",
    "input length and `max_tokens` exceed context limit: 188000 + 20000 > 200000, decrease input length or `max_tokens` and try again",
  ],
  [
    "vLLM",
    "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens (4000 in the messages, 1000 in the completion).",
  ],
  [
    "vLLM decoder prompt",
    "The decoder prompt (length 9000) is longer than the maximum model length of 8192. Make sure that `max_model_len` is no smaller than the number of text tokens.",
  ],
  ["llama.cpp", "the request exceeds the available context size, try increasing it"],
  ["llama.cpp type", "request rejected", "exceed_context_size_error"],
  ["SGLang", "The input (9000 tokens) is longer than the model's context length (8192 tokens)."],
  [
    "Mistral",
    "Prompt contains 40000 tokens and 0 draft tokens, too large for model with 32768 maximum context length",
  ],
  [
    "TGI",
    "Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096. Given: 4000 `inputs` tokens and 200 `max_new_tokens`",
  ],
  [
    "Gemini",
    "The input token count (1048577) exceeds the maximum number of tokens allowed (1048576).",
  ],
  ["Bedrock", "Input is too long for requested model."],
  ["generic", "context length exceeded"],
];

const NOT_OVERFLOWS: Array<[string, string, string?]> = [
  ["context_management setting", "invalid context_management setting"],
  [
    "context_management type",
    "Invalid 'context_management[0].type': unknown compaction type",
    "invalid_value",
  ],
  [
    "per-minute rate limit",
    "Request too large for gpt-4o in organization org-x on tokens per min (TPM): Limit 30000, Requested 50000.",
  ],
  [
    "rate limit wording",
    "Rate limit reached: too many tokens per minute, please slow down",
    "rate_limit_exceeded",
  ],
  [
    "output limit",
    "max_tokens: 100000 > 64000, which is the maximum allowed number of output tokens for this model",
  ],
  ["context caching", "Context caching is not supported for this model"],
  ["empty block", "messages: text content blocks must be non-empty"],
  ["overloaded", "overloaded_error: Overloaded", "server_error"],
  [
    "previous response",
    "Previous response with id 'resp_1' not found.",
    "previous_response_not_found",
  ],
];

Deno.test("protocol/overflow: every server's way of saying the window is full is recognised", () => {
  for (const [name, text, code] of OVERFLOWS) assert.ok(isContextOverflow(text, code), name);
});

Deno.test("protocol/overflow: errors that only mention context or tokens are not overflows", () => {
  for (const [name, text, code] of NOT_OVERFLOWS) assert.ok(!isContextOverflow(text, code), name);
});
