// Server-sent events on Web streams: one writer (used by the fake server and the proxy) and one
// reader built on eventsource-parser (used by every client of an SSE wire).
import { createParser, type EventSourceMessage } from "eventsource-parser";

export interface SseFrame {
  event?: string;
  data: string;
  id?: string;
}

/** Encodes one frame. Multi-line data becomes several `data:` lines; names cannot hold newlines. */
export function encodeSseFrame(frame: SseFrame): string {
  for (const [field, value] of [["event", frame.event], ["id", frame.id]] as const) {
    if (value !== undefined && /[\r\n]/.test(value)) {
      throw new Error(`SSE ${field} must not contain CR or LF: ${JSON.stringify(value)}`);
    }
  }
  let out = "";
  if (frame.event !== undefined) out += `event: ${frame.event}\n`;
  if (frame.id !== undefined) out += `id: ${frame.id}\n`;
  for (const line of frame.data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  return out + "\n";
}

/**
 * Encodes a JSON event the way Responses servers do: the `type` field doubles as the SSE name.
 * JSON text never holds a raw CR or LF (JSON.stringify escapes them), so the data is one line;
 * this runs for every event a proxy streams, so it skips encodeSseFrame's general splitting.
 */
export function encodeJsonEvent(payload: { type: string }): string {
  const type = payload.type;
  if (/[\r\n]/.test(type)) return encodeSseFrame({ event: type, data: JSON.stringify(payload) });
  return `event: ${type}\ndata: ${JSON.stringify(payload)}\n\n`;
}

export const SSE_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  "connection": "keep-alive",
};

/**
 * Decodes a byte stream into SSE messages. Comments and retry hints are dropped; a line the parser
 * rejects ends the stream with that error. Leaving early (return/break) cancels the body. Plain
 * reads and eventsource-parser's push API rather than a chain of TransformStreams, whose set-up
 * costs every client milliseconds on its first request.
 */
export async function* readSse(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<EventSourceMessage, void, undefined> {
  const ready: EventSourceMessage[] = [];
  let failure: Error | undefined;
  const parser = createParser({
    onEvent: (message) => ready.push(message),
    onError: (err) => (failure ??= err),
  });
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let finished = false;
  try {
    while (true) {
      const { done, value } = await reader.read();
      parser.feed(done ? decoder.decode() : decoder.decode(value, { stream: true }));
      if (done) parser.reset({ consume: true });
      while (ready.length) yield ready.shift()!;
      if (failure) throw failure;
      if (done) break;
    }
    finished = true;
  } finally {
    if (!finished) reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

export type { EventSourceMessage };
