// Outputs and error texts as upstream 0.115.0 returned them for the same files.
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { mkdir, mkdtemp, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ToolRegistry } from "./registry.ts";
import { MAX_IMAGE_BYTES, viewImageTool } from "./view_image.ts";
import { makeFifo } from "../testing/mod.ts";

/** A 1×1 PNG. */
const PNG =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC";
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46]);

Deno.test("view_image", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "tscodex-image-"));
  const registry = new ToolRegistry([viewImageTool()]);
  const view = async (path: string) =>
    (await registry.run(
      {
        type: "function_call",
        call_id: "c",
        name: "view_image",
        arguments: JSON.stringify({ path }),
      },
      { signal: new AbortController().signal, cwd: dir, callId: "c" },
    )).output;
  try {
    await writeFile(join(dir, "tiny.png"), Buffer.from(PNG, "base64"));
    await writeFile(join(dir, "photo.JPG"), JPEG);
    await writeFile(join(dir, "fake.png"), "not an image\n");
    await writeFile(join(dir, "text.txt"), "plain\n");
    await mkdir(join(dir, "sub"));
    // Over the limit by one byte (sparse: nothing is written), and a FIFO nobody writes to.
    await writeFile(join(dir, "huge.png"), Buffer.from(PNG, "base64"));
    await truncate(join(dir, "huge.png"), MAX_IMAGE_BYTES + 1);
    makeFifo(dir, "pipe.png");
    const cases: Array<[string, string, unknown]> = [
      ["an absolute path becomes an input_image data URL", join(dir, "tiny.png"), [
        { type: "input_image", image_url: `data:image/png;base64,${PNG}` },
      ]],
      ["a relative path resolves against the workdir", "tiny.png", [
        { type: "input_image", image_url: `data:image/png;base64,${PNG}` },
      ]],
      ["the MIME type comes from the content", "photo.JPG", [
        { type: "input_image", image_url: `data:image/jpeg;base64,${JPEG.toString("base64")}` },
      ]],
      [
        "a missing file",
        "/nonexistent.png",
        "unable to locate image at `/nonexistent.png`: No such file or directory (os error 2)",
      ],
      ["a directory", "sub", `image path \`${join(dir, "sub")}\` is not a file`],
      [
        "a file that is not an image",
        "text.txt",
        `Codex could not read the local image at \`${
          join(dir, "text.txt")
        }\`: unsupported MIME type \`text/plain\``,
      ],
      [
        "an image name over other content",
        "fake.png",
        `Codex cannot attach image at \`${
          join(dir, "fake.png")
        }\`: unsupported image format \`image/png\`.`,
      ],
      [
        "a file over the size limit is refused before it is read",
        "huge.png",
        `image at \`${join(dir, "huge.png")}\` is ${
          MAX_IMAGE_BYTES + 1
        } bytes, over view_image's ` +
        `limit of ${MAX_IMAGE_BYTES} bytes (20 MiB): attach a smaller copy instead, e.g. one ` +
        "scaled down with ImageMagick's `convert`",
      ],
      [
        "a FIFO is not a file (and does not hang)",
        "pipe.png",
        `image path \`${join(dir, "pipe.png")}\` is not a file`,
      ],
    ];
    for (const [name, path, expected] of cases) {
      await t.step(name, async () => assert.deepEqual(await view(path), expected));
    }
  } finally {
    await rm(dir, { recursive: true });
  }
});
