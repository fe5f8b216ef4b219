// `tscodex mcp list|get|add|remove` as users run it: the outputs upstream's `codex mcp` printed for
// the same steps (recorded by hand from 0.115.0), and config.toml edited around its other content.
import assert from "node:assert/strict";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { replaceMcpServers } from "../config/mod.ts";
import { runCli } from "./cli_testing.ts";

const BEFORE = `# top
model = "o3"

[mcp_servers.zeta]
# zeta's comment
command = "z"   # inline
startup_timeout_sec = 5
enabled = true
tool_timeout_sec = 2.5
enabled_tools = ["a"]

[profiles.x]
model = "y"

[mcp_servers.alpha]
url = "http://a"
http_headers = { X = "1" }

[other]
k = 1
`;

Deno.test("mcp add/list/get/remove: upstream's edits and outputs, the rest of the file kept", async () => {
  const home = await mkdtemp(join(tmpdir(), "tscodex-mcp-cli-"));
  const file = join(home, "config.toml");
  await writeFile(file, BEFORE);
  const mcp = (...args: string[]) =>
    runCli(["mcp", ...args], { cwd: home, env: { HOME: home, CODEX_HOME: home } });

  const added = await mcp("add", "mid", "--env", "Z=1", "--env", "A=2", "--", "cmd", "arg");
  assert.equal(added.code, 0, added.stderr);
  assert.equal(added.stdout, "Added global MCP server 'mid'.\n");
  assert.equal(
    await readFile(file, "utf8"),
    `# top
model = "o3"

[mcp_servers.zeta]
command = "z"
startup_timeout_sec = 5.0
tool_timeout_sec = 2.5
enabled_tools = ["a"]

[mcp_servers.alpha]
url = "http://a"

[mcp_servers.alpha.http_headers]
X = "1"

[mcp_servers.mid]
command = "cmd"
args = ["arg"]

[mcp_servers.mid.env]
A = "2"
Z = "1"

[profiles.x]
model = "y"

[other]
k = 1
`,
  );

  assert.equal((await mcp("remove", "zeta")).stdout, "Removed global MCP server 'zeta'.\n");
  assert.equal(
    (await mcp("list")).stdout,
    "Name  Command  Args  Env               Cwd  Status   Auth       \n" +
      "mid   cmd      arg   A=*****, Z=*****  -    enabled  Unsupported\n" +
      "\n" +
      "Name   Url       Bearer Token Env Var  Status   Auth       \n" +
      "alpha  http://a  -                     enabled  Unsupported\n",
  );
  const listed = JSON.parse((await mcp("list", "--json")).stdout);
  assert.deepEqual(listed[1], {
    name: "mid",
    enabled: true,
    disabled_reason: null,
    transport: {
      type: "stdio",
      command: "cmd",
      args: ["arg"],
      env: { A: "2", Z: "1" },
      env_vars: [],
      cwd: null,
    },
    startup_timeout_sec: null,
    tool_timeout_sec: null,
    auth_status: "unsupported",
  });
  assert.equal(
    (await mcp("get", "alpha")).stdout,
    "alpha\n  enabled: true\n  transport: streamable_http\n  url: http://a\n" +
      "  bearer_token_env_var: -\n  http_headers: X=*****\n  env_http_headers: -\n" +
      "  remove: tscodex mcp remove alpha\n",
  );
  const missing = await mcp("get", "zeta");
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, "Error: No MCP server named 'zeta' found.\n");
  assert.equal((await mcp("remove", "zeta")).stdout, "No MCP server named 'zeta' found.\n");
  const badName = await mcp("add", "bad.name", "--", "x");
  assert.equal(badName.code, 2);
  assert.match(badName.stderr, /invalid server name 'bad\.name'/);
  assert.equal((await mcp("add", "nothing")).code, 2);
  assert.equal((await mcp("add", "both", "--url", "http://x", "--", "cmd")).code, 2);

  await mcp("remove", "alpha");
  await mcp("remove", "mid");
  assert.equal(
    await readFile(file, "utf8"),
    `# top\nmodel = "o3"\n\n[profiles.x]\nmodel = "y"\n\n[other]\nk = 1\n`,
  );
  assert.equal(
    (await mcp("list")).stdout,
    "No MCP servers configured yet. Try `tscodex mcp add my-tool -- my-command`.\n",
  );
});

Deno.test("mcp edits: servers written inline are rewritten whole, the values kept", () => {
  const source = `model = "o3"\nmcp_servers = { a = { command = "x" } }\n[other]\nk = 1\n`;
  const out = replaceMcpServers(source, [{
    name: "b",
    transport: { type: "streamable_http", url: "http://b" },
    enabled: false,
  }]);
  assert.match(out, /^model = "o3"$/m);
  assert.match(out, /^\[other\]\nk = 1$/m);
  assert.match(out, /^\[mcp_servers\.b\]\nurl = "http:\/\/b"\nenabled = false$/m);
  assert.ok(!out.includes('command = "x"'));
});

Deno.test("mcp list: a server of the wrong shape is named with the expected type, as exec names it", async () => {
  const home = await mkdtemp(join(tmpdir(), "tscodex-mcp-"));
  await writeFile(join(home, "config.toml"), "[mcp_servers.x]\ncommand = 5\n");
  const run = await runCli(["mcp", "list"], { cwd: home, env: { HOME: home, CODEX_HOME: home } });
  assert.equal(run.code, 1);
  assert.equal(
    run.stderr,
    `Error: ${join(home, "config.toml")}: mcp_servers.x.command: expected a string, got an ` +
      "integer (5)\n",
  );
});
