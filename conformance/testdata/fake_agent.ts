// A stand-in for a Codex CLI in the harness's own tests: one request to the provider in
// CODEX_HOME/config.toml, with a random session id and the clock in it, a rollout, a file.
// FAKE_AGENT_VARIANT=b changes one tool parameter and adds a header, for the diff to find.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";

const home = process.env.CODEX_HOME!;
const config = readFileSync(join(home, "config.toml"), "utf8");
const baseUrl = /base_url = "([^"]+)"/.exec(config)![1];
const variant = process.env.FAKE_AGENT_VARIANT ?? "a";
const session = crypto.randomUUID();
const now = new Date().toISOString();
const prompt = process.argv.at(-1)!;

const response = await fetch(`${baseUrl}/responses`, {
  method: "POST",
  headers: {
    "content-type": "application/json",
    session_id: session,
    "x-turn-meta": JSON.stringify({ turn_id: crypto.randomUUID(), cwd: process.cwd() }),
    ...(variant === "b" ? { "x-extra": "1" } : {}),
  },
  body: JSON.stringify({
    model: "m",
    instructions: `Built-in prose of the agent, different on every build: ${variant}`,
    input: [
      {
        type: "message",
        role: "developer",
        content: [{ type: "input_text", text: "<rules>\nbe nice\n</rules>" }],
      },
      {
        type: "message",
        role: "user",
        content: [{
          type: "input_text",
          text: `<env><cwd>${process.cwd()}</cwd><date>${now.slice(0, 10)}</date></env>`,
        }],
      },
      { type: "message", role: "user", content: [{ type: "input_text", text: prompt }] },
    ],
    tools: [{
      type: "function",
      name: "shell",
      description: "Runs things.",
      parameters: {
        type: "object",
        properties: { cmd: { type: variant === "b" ? "array" : "string", description: "what" } },
      },
    }],
    prompt_cache_key: session,
  }),
});
const text = await response.text();
const done = [...text.matchAll(/"text":"([^"]*)"/g)].at(-1)?.[1] ?? "";
process.stdout.write(`${done}\n`);
process.stderr.write(`session ${session} at ${now} in ${process.cwd()}\n`);
const day = join(home, "sessions", now.slice(0, 4), now.slice(5, 7), now.slice(8, 10));
mkdirSync(day, { recursive: true });
writeFileSync(
  join(day, `rollout-${now.slice(0, 19).replaceAll(":", "-")}-${session}.jsonl`),
  JSON.stringify({
    timestamp: now,
    type: "session_meta",
    payload: { id: session, cwd: process.cwd() },
  }) + "\n",
);
writeFileSync("out.txt", `${prompt} (${process.env.TZ}, ${process.env.LANG})\n`);
process.exit(variant === "fail" ? 3 : 0);
