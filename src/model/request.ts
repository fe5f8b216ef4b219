// One sampling request, shaped as upstream Codex 0.115.0 sends it for the same inputs: the body keys
// in upstream's order, `reasoning`/`include`/`text`/`parallel_tool_calls` decided by the model's
// catalog entry and the config, and the session headers. Provider headers and the credential are
// added by the client, so a built request can be logged or snapshotted as is.
import type { ReasoningEffort, ReasoningSummary, SandboxMode, Verbosity } from "../config/mod.ts";
import type { ResponseItem, ResponsesRequest, ToolSpec } from "../protocol/mod.ts";
import { modelInfo } from "./catalog.ts";
import type { ClientIdentity } from "./identity.ts";
import { type TurnMetadata, turnMetadata } from "./turn_metadata.ts";
import type { GitFacts } from "../system/mod.ts";

/** The model and its knobs; `Config` from src/config has these fields. */
export interface ModelSettings {
  model: string;
  reasoningEffort?: ReasoningEffort;
  reasoningSummary?: ReasoningSummary;
  verbosity?: Verbosity;
  /** `model_supports_reasoning_summaries`: true sends `reasoning` for an unknown model too. */
  supportsReasoningSummaries?: boolean;
}

export interface BodyInput {
  settings: ModelSettings;
  /** Also the prompt cache key, as upstream uses it. */
  sessionId: string;
  instructions: string;
  input: ResponseItem[];
  tools: ToolSpec[];
  /** Replaces the catalog's `parallel_tool_calls` (e.g. false for a request without tools). */
  parallelToolCalls?: boolean;
  /** `exec --output-schema`: the final answer must be JSON matching this schema. */
  outputSchema?: unknown;
  /** Keys appended after upstream's. */
  extra?: Record<string, unknown>;
}

/** `text.format` for an output schema, as upstream words it. */
export function outputSchemaFormat(schema: unknown) {
  return { type: "json_schema", strict: true, schema, name: "codex_output_schema" };
}

export interface HeaderInput {
  identity: ClientIdentity;
  /** Sent as both `session_id` and `x-client-request-id`, as upstream does. */
  sessionId: string;
  turn: TurnMetadata;
}

export type RequestInput = BodyInput & HeaderInput;

export interface BuiltRequest {
  body: ResponsesRequest;
  headers: Record<string, string>;
}

/** `reasoning`, `include`, `text` and `parallel_tool_calls` for a model and its settings. */
export function modelParameters(settings: ModelSettings) {
  const info = modelInfo(settings.model);
  // The setting can only add reasoning to a model the catalog does not credit with it; `false`
  // takes nothing away from one it does (upstream 0.115.0 still sends `reasoning` then).
  const sendsReasoning = info.supportsReasoningSummaries ||
    settings.supportsReasoningSummaries === true;
  const effort = settings.reasoningEffort ?? info.defaultReasoningEffort;
  const summary = settings.reasoningSummary ?? info.defaultReasoningSummary;
  const reasoning = sendsReasoning
    ? { ...(effort ? { effort } : {}), ...(summary !== "none" ? { summary } : {}) }
    : null;
  const verbosity = info.supportsVerbosity
    ? settings.verbosity ?? info.defaultVerbosity
    : undefined;
  return {
    reasoning,
    include: reasoning ? ["reasoning.encrypted_content"] : [],
    text: verbosity ? { verbosity } : undefined,
    parallelToolCalls: info.supportsParallelToolCalls,
  };
}

/** The body, keys in upstream's order. */
export function requestBody(request: BodyInput): ResponsesRequest {
  const params = modelParameters(request.settings);
  return {
    model: request.settings.model,
    instructions: request.instructions,
    input: request.input,
    tools: request.tools,
    tool_choice: "auto",
    parallel_tool_calls: request.parallelToolCalls ?? params.parallelToolCalls,
    reasoning: params.reasoning,
    store: false,
    stream: true,
    include: params.include,
    prompt_cache_key: request.sessionId,
    ...(params.text || request.outputSchema !== undefined
      ? {
        text: {
          ...params.text,
          ...(request.outputSchema !== undefined
            ? { format: outputSchemaFormat(request.outputSchema) }
            : {}),
        },
      }
      : {}),
    ...request.extra,
  };
}

/** The session headers, in upstream's order (provider headers and the credential come first). */
export function requestHeaders(request: HeaderInput): Record<string, string> {
  return {
    "x-codex-turn-metadata": JSON.stringify(request.turn),
    "x-client-request-id": request.sessionId,
    "session_id": request.sessionId,
    "accept": "text/event-stream",
    "content-type": "application/json",
    "user-agent": request.identity.userAgent,
    "originator": request.identity.originator,
  };
}

export function buildRequest(request: RequestInput): BuiltRequest {
  return { body: requestBody(request), headers: requestHeaders(request) };
}

/**
 * The headers callback for an agent session: the turn metadata (git state) is gathered once per
 * turn and reused by every request of that turn, retries included.
 */
export function sessionHeaders(session: {
  identity: ClientIdentity;
  sessionId: string;
  cwd: string;
  sandboxMode?: SandboxMode;
  /** Facts gathered at the start of the session, used for its first turn. */
  git?: Promise<GitFacts | undefined>;
}): (context: { turnId: string }) => Promise<Record<string, string>> {
  let current: { turnId: string; headers: Promise<Record<string, string>> } | undefined;
  let early = session.git;
  return ({ turnId }) => {
    if (current?.turnId !== turnId) {
      const headers = turnMetadata(turnId, session.cwd, session.sandboxMode, early).then((
        turn,
      ) => requestHeaders({ ...session, turn }));
      early = undefined;
      current = { turnId, headers };
    }
    return current.headers;
  };
}
