// Server-sent events on Web streams: one writer (used by the fake server and the proxy) and one
// reader built on eventsource-parser (used by every client of an SSE wire).
import { type EventSourceMessage, EventSourceParserStream } from "eventsource-parser/stream";

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

/** Encodes a JSON event the way Responses servers do: the `type` field doubles as the SSE name. */
export function encodeJsonEvent(payload: { type: string }): string {
  return encodeSseFrame({ event: payload.type, data: JSON.stringify(payload) });
}

export const SSE_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  "connection": "keep-alive",
};

/** Decodes a byte stream into SSE messages. Comments and retry hints are dropped. */
export function readSse(body: ReadableStream<Uint8Array>): ReadableStream<EventSourceMessage> {
  return body
    .pipeThrough(new TextDecoderStream())
    .pipeThrough(new EventSourceParserStream({ onError: "terminate" }));
}

export type { EventSourceMessage };
