// The one error of the Feishu link: a sentence saying what failed and what to do about it.
export class FeishuError extends Error {
  /** Feishu's own error code, when the API answered with one. */
  readonly code?: number;

  constructor(message: string, code?: number) {
    super(message);
    this.name = "FeishuError";
    this.code = code;
  }
}
