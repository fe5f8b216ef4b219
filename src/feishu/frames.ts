// The frames of Feishu's long connection (the "persistent connection" an app receives events and
// card callbacks on): protobuf messages, encoded and decoded by protobufjs from this schema.
import { Buffer } from "node:buffer";
import protobuf from "protobufjs/light.js";

/** `method` of a frame: a ping or pong, or an event (and the app's answer to it). */
export const CONTROL = 0;
export const DATA = 1;

export interface FrameHeader {
  key: string;
  value: string;
}

export interface Frame {
  SeqID: number;
  LogID: number;
  service: number;
  method: number;
  headers: FrameHeader[];
  payload?: Uint8Array;
  payload_encoding?: string;
  payload_type?: string;
  LogIDNew?: string;
}

const required = (type: string, id: number) => ({ rule: "required", type, id });

const FrameType = protobuf.Root.fromJSON({
  nested: {
    pbbp2: {
      nested: {
        Header: { fields: { key: required("string", 1), value: required("string", 2) } },
        Frame: {
          fields: {
            SeqID: required("uint64", 1),
            LogID: required("uint64", 2),
            service: required("int32", 3),
            method: required("int32", 4),
            headers: { rule: "repeated", type: "Header", id: 5 },
            payload_encoding: { type: "string", id: 6 },
            payload_type: { type: "string", id: 7 },
            payload: { type: "bytes", id: 8 },
            LogIDNew: { type: "string", id: 9 },
          },
        },
      },
    },
  },
}).lookupType("pbbp2.Frame");

export function encodeFrame(frame: Frame): Uint8Array {
  return FrameType.encode(FrameType.fromObject(frame)).finish();
}

export function decodeFrame(bytes: Uint8Array): Frame {
  const frame = FrameType.toObject(FrameType.decode(bytes), { longs: Number, arrays: true });
  // protobufjs hands bytes back as a Buffer; the rest of the link works on Uint8Array.
  if (frame.payload) frame.payload = new Uint8Array(frame.payload);
  return frame as Frame;
}

export function headerOf(frame: Frame, key: string): string | undefined {
  return frame.headers.find((header) => header.key === key)?.value;
}

/** The JSON a frame's payload carries. */
export function payloadJson(payload: Uint8Array): unknown {
  return JSON.parse(new TextDecoder().decode(payload));
}

export function jsonPayload(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

export function base64Json(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64");
}
