// What upstream Codex 0.115.0 knows about each model, as far as it shapes a request: whether it
// sends `reasoning` (and its defaults), `text.verbosity`, and `parallel_tool_calls`. Capabilities
// only, taken from the catalog built into that release; a slug matches its longest catalog prefix
// (`gpt-5.1-codex-2025-11-01` is `gpt-5.1-codex`), anything else gets the fallback, which sends no
// reasoning at all — exactly as upstream does for a model it does not know.
import type { ReasoningEffort, ReasoningSummary, Verbosity } from "../config/mod.ts";

/**
 * How much of a tool output the history keeps: `limit` tokens (about 4 bytes each) or bytes.
 * Upstream records it in every turn_context and cuts outputs to 1.2 × the limit.
 */
export interface TruncationPolicy {
  mode: "tokens" | "bytes";
  limit: number;
}

export interface ModelInfo {
  slug: string;
  truncation: TruncationPolicy;
  /** Whether the model is offered the (freeform) apply_patch tool. */
  applyPatch: boolean;
  supportsReasoningSummaries: boolean;
  defaultReasoningEffort?: ReasoningEffort;
  defaultReasoningSummary: ReasoningSummary;
  supportsVerbosity: boolean;
  defaultVerbosity?: Verbosity;
  supportsParallelToolCalls: boolean;
  contextWindow: number;
  /**
   * Which of our base instruction families the model gets: `compact` for the models tuned for
   * coding agents (upstream gives them short instructions), `full` for general models and
   * models we do not know, which need the working method spelt out (see agent/base_instructions.ts).
   */
  instructions: InstructionFamily;
  /** Whether the `personality` setting shapes its instructions (upstream: gpt-5.2-codex on). */
  personality: boolean;
}

export type InstructionFamily = "compact" | "full";

type Row = [
  slug: string,
  summary: ReasoningSummary,
  verbosity: Verbosity | null | false,
  parallel: boolean,
  contextWindow: number,
  truncation: TruncationPolicy["mode"],
  instructions: InstructionFamily,
  personality: boolean,
];

// verbosity: false = not supported, null = supported without a default.
const ROWS: Row[] = [
  ["gpt-5.4", "none", "low", true, 272_000, "tokens", "compact", true],
  ["gpt-5.3-codex", "none", "low", true, 272_000, "tokens", "compact", true],
  ["gpt-5.2-codex", "auto", false, true, 272_000, "tokens", "compact", true],
  ["gpt-5.2", "auto", "low", true, 272_000, "bytes", "full", false],
  ["gpt-5.1-codex-max", "auto", false, false, 272_000, "tokens", "compact", false],
  ["gpt-5.1-codex-mini", "auto", false, false, 272_000, "tokens", "compact", false],
  ["gpt-5.1-codex", "auto", false, false, 272_000, "tokens", "compact", false],
  ["gpt-5.1", "auto", "low", true, 272_000, "bytes", "full", false],
  ["gpt-5-codex-mini", "auto", false, false, 272_000, "tokens", "compact", false],
  ["gpt-5-codex", "auto", false, false, 272_000, "tokens", "compact", false],
  ["gpt-5", "auto", null, false, 272_000, "bytes", "full", false],
  ["gpt-oss-120b", "auto", null, false, 128_000, "bytes", "full", false],
  ["gpt-oss-20b", "auto", null, false, 128_000, "bytes", "full", false],
];

const CATALOG: ModelInfo[] = ROWS.map((
  [slug, summary, verbosity, parallel, contextWindow, truncation, instructions, personality],
) => ({
  slug,
  truncation: { mode: truncation, limit: 10_000 },
  // Upstream's catalog gives plain gpt-5 no apply_patch tool type.
  applyPatch: slug !== "gpt-5",
  supportsReasoningSummaries: true,
  defaultReasoningEffort: "medium",
  defaultReasoningSummary: summary,
  supportsVerbosity: verbosity !== false,
  defaultVerbosity: verbosity || undefined,
  supportsParallelToolCalls: parallel,
  contextWindow,
  instructions,
  personality,
}));

const FALLBACK: Omit<ModelInfo, "slug"> = {
  truncation: { mode: "bytes", limit: 10_000 },
  applyPatch: false,
  supportsReasoningSummaries: false,
  defaultReasoningSummary: "auto",
  supportsVerbosity: false,
  supportsParallelToolCalls: false,
  contextWindow: 272_000,
  instructions: "full",
  personality: false,
};

/** The catalog entry for `slug` (longest prefix match), or the fallback for unknown models. */
export function modelInfo(slug: string): ModelInfo & { known: boolean } {
  let best: ModelInfo | undefined;
  for (const info of CATALOG) {
    if (slug.startsWith(info.slug) && info.slug.length > (best?.slug.length ?? -1)) best = info;
  }
  return best ? { ...best, known: true } : { ...FALLBACK, slug, known: false };
}
