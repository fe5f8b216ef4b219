// What goes wrong with a portable home, said as a sentence: which spec, server or file, and what
// to do about it.
export class PortableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PortableError";
  }
}
