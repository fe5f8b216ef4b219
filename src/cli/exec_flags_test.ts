// Every exec flag upstream's `codex exec` takes, checked through a real subprocess against the fake
// server: what the flag must change in the request, the output or the files.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, realpath, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Buffer } from "node:buffer";
import { FakeResponsesServer, parseScenario } from "../fake/mod.ts";
import { runCli } from "./cli_testing.ts";

const ESC = "\u001b[";
// A 1×1 PNG.
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
  "base64",
);

interface Body {
  model: string;
  instructions: string;
  input: Array<
    {
      type: string;
      role?: string;
      content?: Array<{ type: string; text?: string; image_url?: string }>;
    }
  >;
}

interface Case {
  name: string;
  args: (work: string) => string[];
  stdin?: string;
  check: (
    result: { code: number | null; stdout: string; stderr: string; body: Body; work: string },
  ) => Promise<void> | void;
}

const developerText = (body: Body) => body.input[0].content?.map((p) => p.text).join("\n") ?? "";
const lastUser = (body: Body) => body.input.filter((i) => i.role === "user").at(-1)!;

const CASES: Case[] = [
  {
    name: "-m",
    args: () => ["-m", "flag-model", "hi"],
    check: ({ body }) => assert.equal(body.model, "flag-model"),
  },
  {
    name: "-c",
    args: () => ["-c", 'model="from-c"', "hi"],
    check: ({ body }) => assert.equal(body.model, "from-c"),
  },
  {
    name: "-p",
    args: () => ["-p", "fast", "hi"],
    check: ({ body }) => assert.equal(body.model, "profile-model"),
  },
  {
    name: "-s workspace-write",
    args: () => ["-s", "workspace-write", "hi"],
    check: ({ body }) => assert.match(developerText(body), /`workspace-write`/),
  },
  {
    name: "--full-auto",
    args: () => ["--full-auto", "hi"],
    check: ({ body }) => assert.match(developerText(body), /`workspace-write`/),
  },
  {
    name: "--dangerously-bypass-approvals-and-sandbox",
    args: () => ["--dangerously-bypass-approvals-and-sandbox", "hi"],
    check: ({ body }) => assert.match(developerText(body), /`danger-full-access`/),
  },
  {
    name: "default sandbox is read-only",
    args: () => ["hi"],
    check: ({ body }) => assert.match(developerText(body), /`read-only`/),
  },
  {
    name: "-C",
    args: (work) => ["-C", join(work, "sub"), "hi"],
    check: ({ body, work }) =>
      assert.ok(JSON.stringify(body.input).includes(`<cwd>${join(work, "sub")}</cwd>`)),
  },
  {
    name: "--json",
    args: () => ["--json", "hi"],
    check: ({ stdout }) => {
      const events = stdout.trim().split("\n").map((line) => JSON.parse(line).type);
      assert.deepEqual(events, [
        "thread.started",
        "turn.started",
        "item.completed",
        "turn.completed",
      ]);
    },
  },
  {
    name: "-o",
    args: (work) => ["-o", join(work, "last.txt"), "hi"],
    check: async ({ work, stdout }) => {
      assert.equal(await readFile(join(work, "last.txt"), "utf8"), "the answer");
      assert.equal(stdout, "the answer\n");
    },
  },
  {
    name: "--color always",
    args: () => ["--color", "always", "hi"],
    check: ({ stderr }) => assert.ok(stderr.includes(ESC), "colour escapes expected"),
  },
  {
    name: "--color never",
    args: () => ["--color", "never", "hi"],
    check: ({ stderr }) => assert.ok(!stderr.includes(ESC), "no colour escapes expected"),
  },
  {
    name: "-i",
    // After the prompt: like upstream's, -i takes every value that follows it.
    args: (work) => ["describe", "-i", join(work, "pixel.png")],
    check: ({ body }) => {
      const parts = lastUser(body).content!;
      // As upstream 0.115.0 sends a file given with -i: the image between its name tags.
      assert.deepEqual(parts.map((p) => p.type), [
        "input_text",
        "input_image",
        "input_text",
        "input_text",
      ]);
      assert.deepEqual(parts.map((p) => p.text), [
        "<image name=[Image #1]>",
        undefined,
        "</image>",
        "describe",
      ]);
      assert.match(parts[1].image_url!, /^data:image\/png;base64,iVBOR/);
    },
  },
  {
    name: "-i with several files, spaced and comma-separated (the prompt from stdin)",
    args: (work) => ["-i", "pixel.png", `${join(work, "pixel.png")},pixel.png`],
    stdin: "describe all\n",
    check: ({ body }) => {
      const parts = lastUser(body).content!;
      assert.deepEqual(parts.filter((p) => p.type === "input_image").length, 3);
      assert.deepEqual(parts.at(-1)!.text, "describe all");
    },
  },
  {
    name: "--system-prompt",
    args: () => ["--system-prompt", "You are a test.", "hi"],
    check: ({ body }) => assert.equal(body.instructions, "You are a test."),
  },
  {
    name: "prompt from stdin with -",
    args: () => ["-"],
    stdin: "piped prompt\n",
    check: ({ body }) => assert.equal(lastUser(body).content![0].text, "piped prompt"),
  },
];

Deno.test("exec flags change what upstream's flags change", async (t) => {
  const server = new FakeResponsesServer(parseScenario({
    after_last: "repeat_last",
    responses: [{ output: [{ type: "message", text: "the answer" }] }],
  }));
  await server.start();
  try {
    for (const testCase of CASES) {
      await t.step(testCase.name, async () => {
        const work = await realpath(await mkdtemp(join(tmpdir(), "tscodex-flags-")));
        await mkdir(join(work, ".git"));
        await mkdir(join(work, "sub"));
        await writeFile(join(work, "pixel.png"), PNG);
        await writeFile(
          join(work, "config.toml"),
          `model = "config-model"\nmodel_provider = "local"\n[model_providers.local]\nname = "local"\n` +
            `base_url = "${server.baseUrl}"\n[profiles.fast]\nmodel = "profile-model"\n`,
        );
        const before = server.requests.length;
        const result = await runCli(["exec", ...testCase.args(work)], {
          cwd: work,
          env: { HOME: work, CODEX_HOME: work },
          stdin: testCase.stdin,
        });
        assert.equal(result.code, 0, result.stderr);
        assert.equal(server.requests.length, before + 1);
        await testCase.check({ ...result, body: server.requests[before].body as Body, work });
      });
    }
  } finally {
    await server.close();
  }
});
