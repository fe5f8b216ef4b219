// The credentials serve holds (its own client key, the backend's key, what the backend URL carries)
// and how they are kept out of what it writes: logs, dumps, errors sent to clients. Only real
// secrets are listed: a URL's user name is one only when it is the whole credential (no password),
// and a query value only when its name says it is a key (`key`, `api-key`, `token`, `sig`, …).
//
// A long secret is replaced wherever it appears. A short one is replaced only where it stands
// alone, not inside a longer word: a password `pw` or a key `k3y9` must not turn "pwd" or
// "k3y99" into `<redacted>`, and a dump must stay readable.

export const REDACTED = "<redacted>";

/** Secrets at least this long are replaced even inside other text. */
const LONG = 16;
/** Query parameters whose values are credentials: `key`, `api-key`, `access_token`, `sig`, … */
const CREDENTIAL_PARAMETER = /key|token|secret|sig|pass|pwd|auth|cred|code|session/i;

export function isCredentialParameter(name: string): boolean {
  return CREDENTIAL_PARAMETER.test(name);
}

/**
 * Not after a letter, digit or `_` unless a backslash comes before it (a JSON escape: in a dumped
 * line, the `n` of an escaped newline does not join the word after it); not before one.
 */
const ALONE_BEFORE = String.raw`(?<!(?<!\\)[\p{L}\p{N}_])`;
const ALONE_AFTER = String.raw`(?![\p{L}\p{N}_])`;

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export class Secrets {
  readonly #pattern?: RegExp;

  /** `values` in every form they may take in text: as given, URL-encoded, inside JSON strings. */
  constructor(values: Iterable<string | undefined>) {
    const forms = new Set<string>();
    for (const value of values) {
      if (!value) continue;
      for (const form of [value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)]) {
        forms.add(form);
      }
    }
    if (forms.size === 0) return;
    // Longest first, so that a secret containing another is replaced whole.
    const sorted = [...forms].sort((a, b) => b.length - a.length);
    const long = sorted.filter((form) => form.length >= LONG).map(escape);
    const short = sorted.filter((form) => form.length < LONG).map(escape);
    const alternatives = [
      ...(long.length > 0 ? [long.join("|")] : []),
      ...(short.length > 0 ? [`${ALONE_BEFORE}(?:${short.join("|")})${ALONE_AFTER}`] : []),
    ];
    this.#pattern = new RegExp(alternatives.join("|"), "gu");
  }

  /** `text` with every secret in it replaced by `<redacted>`. */
  scrub(text: string): string {
    return this.#pattern ? text.replace(this.#pattern, REDACTED) : text;
  }
}
