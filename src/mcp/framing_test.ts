// Names, schemas and output framing, checked against what upstream Codex 0.115.0 sent for the
// same MCP tools and results (recorded with the conformance harness's demo server).
import assert from "node:assert/strict";
import { qualifyTools } from "./names.ts";
import { modelOutput, shownResult } from "./results.ts";
import { toolParameters, UnsupportedSchemaError } from "./schema.ts";

const PIXEL = "iVBORw0KGgo=";

Deno.test("tool names: mcp__server__tool, unusable characters as _, long names cut with a hash", async () => {
  const named = await qualifyTools([
    { server: "demo", tool: "echo" },
    { server: "demo", tool: "dotted.name" },
    { server: "demo", tool: "dotted_name" },
    { server: "demo", tool: "echo" },
    { server: "demo", tool: "a_really_long_tool_name_that_goes_on_and_on_and_on_forever_x" },
  ]);
  assert.deepEqual(named.map((n) => n.name), [
    "mcp__demo__echo",
    "mcp__demo__dotted_name",
    // `dotted_name` now collides with the sanitised `dotted.name`, and the repeated echo is one.
    "mcp__demo__a_really_longd1868533f472908e904fe8b075e97b850eff14a5",
  ]);
});

Deno.test("schemas: upstream's dialect (types inferred, integer as number, keywords dropped)", () => {
  assert.deepEqual(
    toolParameters({
      type: "object",
      properties: {
        city: { type: "string" },
        days: { type: "integer", minimum: 1 },
        units: { type: "string", enum: ["c", "f"] },
        tags: { type: "array", items: { type: "string" } },
        detail: { type: "object", properties: { wind: { type: "boolean" } } },
        limit: { type: ["null", "number"] },
        free: true,
        list: { type: "array" },
        guessed: { minimum: 2, description: "a bound makes a number" },
      },
      required: ["city"],
      additionalProperties: false,
    }),
    {
      type: "object",
      properties: {
        city: { type: "string" },
        days: { type: "number" },
        detail: { type: "object", properties: { wind: { type: "boolean" } } },
        free: { type: "string" },
        guessed: { type: "number", description: "a bound makes a number" },
        limit: { type: "number" },
        list: { type: "array", items: { type: "string" } },
        tags: { type: "array", items: { type: "string" } },
        units: { type: "string" },
      },
      required: ["city"],
      additionalProperties: false,
    },
  );
  assert.deepEqual(toolParameters({ type: "object" }), { type: "object", properties: {} });
  assert.deepEqual(toolParameters({}), { type: "object", properties: {} });
  assert.throws(
    () => toolParameters({ type: "object", properties: { x: { type: "null" } } }),
    UnsupportedSchemaError,
  );
});

Deno.test("results: text as the JSON of its blocks, structured content as its JSON", () => {
  assert.equal(
    modelOutput({ content: [{ type: "text", text: "echo: hi" }] }),
    '[{"type":"text","text":"echo: hi"}]',
  );
  // The error flag changes nothing the model reads.
  assert.equal(
    modelOutput({ content: [{ type: "text", text: "bad" }], isError: true }),
    '[{"type":"text","text":"bad"}]',
  );
  assert.equal(
    modelOutput({
      content: [{ type: "text", text: "plain words" }],
      structuredContent: { zeta: 1, alpha: { y: 2 } },
    }),
    '{"zeta":1,"alpha":{"y":2}}',
  );
  // Fields in upstream's order, whatever order the server sent them in.
  assert.equal(
    modelOutput({
      content: [
        {
          _meta: { m: 1 },
          annotations: { priority: 0.5, audience: ["user"] },
          text: "t",
          type: "text",
        },
        {
          type: "resource_link",
          size: 3,
          description: "d",
          mimeType: "text/plain",
          title: "T",
          name: "x.txt",
          uri: "file:///x.txt",
        },
        { type: "resource", resource: { mimeType: "text/plain", text: "why", uri: "file:///y" } },
      ],
    }),
    '[{"type":"text","text":"t","_meta":{"m":1},"annotations":{"audience":["user"],"priority":0.5}},' +
      '{"type":"resource_link","uri":"file:///x.txt","name":"x.txt","title":"T","description":"d",' +
      '"mimeType":"text/plain","size":3},' +
      '{"type":"resource","resource":{"uri":"file:///y","mimeType":"text/plain","text":"why"}}]',
  );
});

Deno.test("results: an image makes content items, other blocks ride along as JSON text", () => {
  assert.deepEqual(
    modelOutput({
      content: [
        { type: "resource_link", uri: "file:///x.txt", name: "x.txt" },
        { type: "image", mimeType: "image/png", data: PIXEL },
        { type: "audio", data: "AAAA", mimeType: "audio/wav" },
        { type: "text", text: "t" },
      ],
    }),
    [
      { type: "input_text", text: '{"type":"resource_link","uri":"file:///x.txt","name":"x.txt"}' },
      { type: "input_image", image_url: `data:image/png;base64,${PIXEL}` },
      { type: "input_text", text: '{"type":"audio","data":"AAAA","mimeType":"audio/wav"}' },
      { type: "input_text", text: "t" },
    ],
  );
});

Deno.test("results: the UI's copy keeps the error flag and structured content", () => {
  assert.deepEqual(
    shownResult({
      content: [{ type: "text", text: "x" }],
      structuredContent: { a: 1 },
      isError: true,
    }),
    { content: [{ type: "text", text: "x" }], structuredContent: { a: 1 }, isError: true },
  );
});
