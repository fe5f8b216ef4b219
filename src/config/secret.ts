// A credential read from the environment. It prints, serialises and inspects as a placeholder,
// so a config object that ends up in a log, a rollout or an error message cannot leak it.
const PLACEHOLDER = "<redacted>";

export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The credential itself; only for the header that carries it. */
  reveal(): string {
    return this.#value;
  }

  /** `text` with every occurrence of the credential replaced (e.g. a server echoing it back). */
  redact(text: string): string {
    return this.#value ? text.split(this.#value).join(PLACEHOLDER) : text;
  }

  toString(): string {
    return PLACEHOLDER;
  }

  toJSON(): string {
    return PLACEHOLDER;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `Secret(${PLACEHOLDER})`;
  }

  [Symbol.for("Deno.customInspect")](): string {
    return `Secret(${PLACEHOLDER})`;
  }
}
