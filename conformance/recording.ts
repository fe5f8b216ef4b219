// The shape of one scenario's recording: raw as the sandbox collects it, and normalised as the
// fixtures hold it. Both upstream and tscodex runs take these shapes, so they diff alike.

/** A work-dir file after the runs: its text, or a digest when it is not UTF-8. */
export type FileContent = string | { sha256: string; bytes: number };

export interface RequestRecord {
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  body: unknown;
}

export interface RunRecord {
  argv: string[];
  /** `null` when the run was killed after its timeout. */
  exit_code: number | null;
  stdout: string;
  stderr: string;
  requests: RequestRecord[];
  /** What was typed into an interactive run (never prose); not stored in fixtures. */
  typed?: string[];
}

export interface RolloutRecord {
  /** Path relative to CODEX_HOME, e.g. `sessions/2026/11/24/rollout-….jsonl`. */
  name: string;
  /** One parsed JSON value per line; a line that is not JSON is kept as its text. */
  lines: unknown[];
}

export interface Recording {
  scenario: string;
  runs: RunRecord[];
  rollouts: RolloutRecord[];
  files: Record<string, FileContent>;
}

/** The absolute paths a run used, so they can be replaced by names. */
export interface Roots {
  root: string;
  cwd: string;
  codexHome: string;
  home: string;
}

export interface RawRecording extends Recording {
  roots: Roots;
  /** Wall time of each run's process, for benchmarks; never stored in fixtures. */
  wallMs: number[];
}
