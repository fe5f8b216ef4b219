// Reading a body with a cap, on both sides of the storage server: a peer that declares or streams
// more than a home may hold is stopped as the bytes arrive, never after they are all in memory.

/** The body's bytes, or undefined once they pass `cap` (the declared length is checked first). */
export async function readCapped(
  body: ReadableStream<Uint8Array> | null,
  declaredLength: string | null,
  cap: number,
): Promise<Uint8Array | undefined> {
  if (Number(declaredLength ?? "0") > cap) {
    await body?.cancel();
    return undefined;
  }
  const reader = body?.getReader();
  if (!reader) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > cap) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}
