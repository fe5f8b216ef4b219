// view_image: attaches a local image to the conversation. The output is a content item list with
// one input_image whose URL is a base64 data URL, as upstream sends it; error texts are upstream's.
import { Buffer } from "node:buffer";
import { constants } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { extname, resolve } from "node:path";
import { z } from "zod";
import { describeFsError } from "./fs_errors.ts";
import { defineFunctionTool, type ToolDef } from "./registry.ts";

const DESCRIPTION = "Show a local image file (PNG, JPEG, GIF or WebP) to the model by attaching " +
  "it to the conversation.";

const ViewImageArgs = z.object({
  path: z.string().describe("Path of the image file, absolute or relative to the workdir."),
});

/**
 * The largest file view_image attaches: the image travels base64-encoded in every later request
 * of the conversation, and providers refuse single images much above this.
 */
export const MAX_IMAGE_BYTES = 20 * 1024 * 1024;

/**
 * At most `limit + 1` bytes of the open file: enough to tell that it is over the limit without
 * reading the rest, should it have grown since it was measured.
 */
async function readBounded(file: FileHandle, limit: number): Promise<Uint8Array> {
  const buffer = new Uint8Array(limit + 1);
  let length = 0;
  while (length < buffer.length) {
    const { bytesRead } = await file.read(buffer, length, buffer.length - length, length);
    if (bytesRead === 0) break;
    length += bytesRead;
  }
  return buffer.subarray(0, length);
}

/** MIME types by extension, for the error a non-image file gets. */
const MIME_BY_EXTENSION: Record<string, string> = {
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".bmp": "image/bmp",
  ".tif": "image/tiff",
  ".tiff": "image/tiff",
  ".ico": "image/x-icon",
  ".svg": "image/svg+xml",
  ".avif": "image/avif",
  ".heic": "image/heic",
  ".txt": "text/plain",
  ".md": "text/markdown",
  ".html": "text/html",
  ".css": "text/css",
  ".csv": "text/csv",
  ".js": "text/javascript",
  ".json": "application/json",
  ".pdf": "application/pdf",
  ".zip": "application/zip",
};

/** The formats the model accepts, recognised by their leading bytes. */
function sniffImage(bytes: Uint8Array): string | undefined {
  const starts = (...sig: number[]) => sig.every((byte, i) => bytes[i] === byte);
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return "image/png";
  if (starts(0xff, 0xd8, 0xff)) return "image/jpeg";
  if (starts(0x47, 0x49, 0x46, 0x38) && (bytes[4] === 0x37 || bytes[4] === 0x39)) {
    return "image/gif";
  }
  if (starts(0x52, 0x49, 0x46, 0x46) && String.fromCharCode(...bytes.subarray(8, 12)) === "WEBP") {
    return "image/webp";
  }
  return undefined;
}

function imageTooBig(path: string, what: string, tool: string): string {
  return `image at \`${path}\` ${what}, over ${tool}'s limit of ${MAX_IMAGE_BYTES} bytes ` +
    "(20 MiB): attach a smaller copy instead, e.g. one scaled down with ImageMagick's `convert`";
}

/**
 * The bytes of the image file at `path`, or why it cannot be attached (upstream's words): not a
 * regular file (a FIFO, a device, a folder: never waited on nor read without end), not named as
 * an image, or over MAX_IMAGE_BYTES. `tool` names the limit's owner in the refusal.
 */
export async function readLocalImage(path: string, tool: string): Promise<Uint8Array | string> {
  const declared = MIME_BY_EXTENSION[extname(path).toLowerCase()] ?? "application/octet-stream";
  let file;
  try {
    // Non-blocking, so a FIFO named like an image cannot hang the call before the check.
    file = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    return `unable to locate image at \`${path}\`: ${describeFsError(err)}`;
  }
  try {
    const info = await file.stat();
    if (!info.isFile()) return `image path \`${path}\` is not a file`;
    if (!declared.startsWith("image/")) {
      return `Codex could not read the local image at \`${path}\`: unsupported MIME type \`${declared}\``;
    }
    // Checked before reading, and again while reading for a file that grew meanwhile.
    if (info.size > MAX_IMAGE_BYTES) return imageTooBig(path, `is ${info.size} bytes`, tool);
    const bytes = await readBounded(file, MAX_IMAGE_BYTES);
    if (bytes.length > MAX_IMAGE_BYTES) return imageTooBig(path, "grew while it was read", tool);
    return bytes;
  } finally {
    await file.close();
  }
}

export function viewImageTool(): ToolDef {
  return defineFunctionTool({
    kind: "function",
    name: "view_image",
    description: DESCRIPTION,
    parameters: ViewImageArgs,
    parallel: true,
    async execute(args, ctx) {
      const path = resolve(ctx.cwd, args.path);
      const bytes = await readLocalImage(path, "view_image");
      if (typeof bytes === "string") return bytes;
      const mime = sniffImage(bytes);
      if (!mime) {
        const declared = MIME_BY_EXTENSION[extname(path).toLowerCase()];
        return `Codex cannot attach image at \`${path}\`: unsupported image format \`${declared}\`.`;
      }
      const base64 = Buffer.from(bytes).toString("base64");
      return { output: [{ type: "input_image", image_url: `data:${mime};base64,${base64}` }] };
    },
  });
}
