// The embedding API as a user's program meets it: a project that depends on tscodex (installed
// into its node_modules, as `npm install` of a local folder does) imports `Agent` by the package
// name, under Deno and under Bun, and asks against the fake server.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdir, symlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { FakeResponsesServer, parseScenario } from "../fake/mod.ts";
import { DEADLINE_MS, tempDir } from "../testing/mod.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const BIN = join(ROOT, "node_modules", ".bin");

/** The user's program: one agent from a CODEX_HOME, one from explicit options with a tool. */
const PROGRAM = `
import { Agent } from "tscodex";

const home = process.env.APP_HOME;
const fromHome = await Agent.create({ home, cwd: home, ephemeral: true });
const types = [];
let streamed = "";
for await (const event of fromHome.stream("first question")) {
  types.push(event.type);
  if (event.type === "text_delta") streamed += event.delta;
}
const second = await fromHome.ask("second question");
await fromHome.close();

const prices = { apple: 3 };
const explicit = await Agent.create({
  home,
  cwd: home,
  baseUrl: process.env.APP_BASE_URL,
  apiKey: "sk-embedded-test",
  model: "explicit-model",
  tools: [{
    name: "lookup_price",
    description: "The price of a fruit, in euros.",
    parameters: {
      type: "object",
      properties: { fruit: { type: "string" } },
      required: ["fruit"],
    },
    execute: ({ fruit }) => ({ fruit, euros: prices[fruit] }),
  }],
});
const asking = explicit.ask("what does an apple cost?");
const overlap = await explicit.ask("and a pear?").then(() => "answered", (err) => err.message);
const answer = await asking;
const calls = answer.items.filter((item) => item.type === "function_call").map((item) => item.name);
await explicit.close();
console.log(JSON.stringify({
  types,
  streamed,
  second: second.text,
  answer: answer.text,
  calls,
  overlap,
  model: explicit.model,
  sessionId: explicit.sessionId,
}));
`;

const SCENARIO = {
  responses: [
    { output: [{ type: "message" as const, text: "first answer" }] },
    { output: [{ type: "message" as const, text: "second answer" }] },
    {
      output: [{
        type: "function_call" as const,
        call_id: "price",
        name: "lookup_price",
        arguments: { fruit: "apple" },
      }],
    },
    { output: [{ type: "message" as const, text: "three euros" }] },
  ],
};

/** A project that depends on tscodex, as `npm install /path/to/tscodex` leaves it. */
async function userProject(): Promise<string> {
  const project = await tempDir("tscodex-embed-");
  await writeFile(
    join(project, "package.json"),
    JSON.stringify({
      name: "user-app",
      private: true,
      type: "module",
      dependencies: { tscodex: `file:${ROOT}` },
    }),
  );
  await mkdir(join(project, "node_modules"));
  await symlink(ROOT, join(project, "node_modules", "tscodex"));
  await writeFile(join(project, "app.ts"), `import process from "node:process";\n${PROGRAM}`);
  return project;
}

function run(argv: string[], cwd: string, env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const deadline = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${argv.join(" ")} still running after ${DEADLINE_MS} ms:\n${stderr}`));
    }, DEADLINE_MS);
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(deadline);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${argv.join(" ")} exited ${code}:\n${stdout}\n${stderr}`));
    });
  });
}

for (const runtime of ["deno", "bun"] as const) {
  Deno.test(`a ${runtime} program imports Agent from "tscodex", asks, streams and uses its tool`, async () => {
    const server = new FakeResponsesServer(parseScenario(SCENARIO));
    await server.start();
    try {
      const project = await userProject();
      const home = await tempDir("tscodex-embed-home-");
      await writeFile(
        join(home, "config.toml"),
        `model = "home-model"\nmodel_provider = "local"\n[model_providers.local]\n` +
          `base_url = "${server.baseUrl}"\n`,
      );
      const argv = runtime === "deno"
        ? [join(BIN, "deno"), "run", "-A", "app.ts"]
        : [join(BIN, "bun"), "run", "app.ts"];
      const out = await run(argv, project, {
        PATH: "/usr/bin:/bin",
        HOME: home,
        APP_HOME: home,
        APP_BASE_URL: server.baseUrl,
      });
      const result = JSON.parse(out.trim().split("\n").at(-1)!);
      assert.equal(result.streamed, "first answer");
      assert.equal(result.types[0], "turn_started");
      assert.equal(result.types.at(-1), "turn_completed");
      assert.ok(result.types.includes("text_delta"), result.types.join(" "));
      assert.equal(result.second, "second answer");
      assert.deepEqual(result.calls, ["lookup_price"]);
      assert.equal(result.answer, "three euros");
      assert.match(result.overlap, /^this agent is already answering; await the previous ask/);
      assert.equal(result.model, "explicit-model");

      const bodies = server.requests.map((r) => r.body as Record<string, unknown>);
      assert.equal(bodies.length, 4);
      assert.deepEqual(bodies.map((b) => b.model), [
        "home-model",
        "home-model",
        "explicit-model",
        "explicit-model",
      ]);
      // The second ask continues the first agent's conversation.
      assert.match(JSON.stringify(bodies[1].input), /first answer/);
      // The host's tool is offered, and its result reaches the model.
      const tools = (bodies[2].tools as { name?: string }[]).map((t) => t.name);
      assert.ok(tools.includes("lookup_price"), tools.join(" "));
      assert.match(JSON.stringify(bodies[3].input), /\{\\"fruit\\":\\"apple\\",\\"euros\\":3\}/);
      assert.equal(server.requests[2].headers.authorization, "Bearer <redacted>");
    } finally {
      await server.close();
    }
  });
}
