// The REPL's /link and /unlink on a real terminal (tmux) against the fake Feishu API: the card is
// sent to the person named, follows the session's turns, takes prompts typed into it (over the
// long connection) unless a turn runs, and is detached by /unlink. $TSCODEX_BINARY drives the
// compiled binary instead.
import assert from "node:assert/strict";
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { FakeResponsesServer, parseScenario } from "../fake/mod.ts";
import { FakeFeishu } from "../feishu/testing.ts";
import { tempDir, until } from "../testing/mod.ts";
import { runCli } from "./cli_testing.ts";
import { Terminal, tmuxMissing, TSCODEX } from "./terminal_testing.ts";

const cardText = (feishu: FakeFeishu, id: string) => JSON.stringify(feishu.card(id) ?? {});

Deno.test({
  name:
    "REPL /link sends a Feishu card that follows the turns and takes prompts unless one runs; /unlink detaches it",
  ignore: tmuxMissing("the /link terminal test"),
  async fn() {
    const work = await tempDir("tscodex-link-");
    const server = new FakeResponsesServer(parseScenario({
      responses: [
        { chunks: 4, output: [{ type: "message", text: "The sun is very big." }] },
        // The card's first prompt: the answer starts, then the stream stalls until interrupted.
        {
          chunks: 2,
          output: [{ type: "message", text: "The moon is much smaller" }],
          fault: { kind: "stall", after_events: 4 },
        },
        { output: [{ type: "message", text: "Small and bright." }] },
      ],
    }));
    await server.start();
    const feishu = await new FakeFeishu({
      people: [{ openId: "ou_alice", name: "Alice", email: "alice@example.com" }],
    }).start();
    await writeFile(
      join(work, "config.toml"),
      `model = "m"\nmodel_provider = "local"\n[model_providers.local]\nbase_url = "${server.baseUrl}"\n`,
    );
    // The app's credentials come from CODEX_HOME/.env, as a user would keep them.
    await writeFile(
      join(work, ".env"),
      `FEISHU_APP_ID=${feishu.appId}\nFEISHU_APP_SECRET=${feishu.appSecret}\n` +
        `FEISHU_API_BASE=${feishu.apiBase}\n`,
    );
    const term = Terminal.start(
      join(work, "tmux.sock"),
      `cd ${work} && env -i PATH=/usr/bin:/bin HOME=${work} CODEX_HOME=${work} TERM=xterm ` +
        TSCODEX,
    );
    try {
      await term.waitFor(/tscodex>\s*$/m);
      term.type("/link zed@example.com");
      await term.waitFor(/Feishu knows nobody with the email zed@example\.com/);
      term.type("/link alice@example.com");
      await term.waitFor(/Linked: card om_1 sent to alice@example\.com \(ou_alice\); \/unlink/);

      term.type("how big is the sun?");
      await term.waitFor(/The sun is very big\./);
      await until(
        () => /"template":"green".*The sun is very big\./.test(cardText(feishu, "om_1")),
        "the card to show the answer",
        { detail: () => cardText(feishu, "om_1") },
      );
      assert.match(cardText(feishu, "om_1"), /> terminal: \*\*how big is the sun\?\*\*/);

      // Alice types into the card: the turn runs in the REPL, and the card says who asked.
      assert.equal((await feishu.pressCard("om_1", "and the moon?")).content, "Sent.");
      await term.waitFor(/feishu: Alice asks from the card: and the moon\?/);
      await until(
        () => /> Alice: \*\*and the moon\?\*\*.*"disabled":true/.test(cardText(feishu, "om_1")),
        "the card to show Alice's prompt running",
        { detail: () => cardText(feishu, "om_1") },
      );
      // While it runs, another prompt from the card is refused and never reaches the model.
      const busy = await feishu.pressCard("om_1", "are you there?");
      assert.match(busy.content, /A turn is running/);
      term.key("Escape");
      await until(
        () => /Idle: interrupted/.test(cardText(feishu, "om_1")),
        "the card to show the interrupted turn",
        { detail: () => cardText(feishu, "om_1") },
      );
      // Someone else's text on this terminal: an escape sequence in it is shown, not obeyed.
      assert.equal((await feishu.pressCard("om_1", "one more\x1b[2J")).content, "Sent.");
      await term.waitFor(/feishu: Alice asks from the card: one more\\x1b\[2J/);
      await term.waitFor(/Small and bright\./);
      await until(
        () => /> Alice: \*\*one more.*Small and bright\./.test(cardText(feishu, "om_1")),
        "the card to show the last answer",
        { detail: () => cardText(feishu, "om_1") },
      );
      assert.equal(server.requests.length, 3);
      assert.doesNotMatch(JSON.stringify(server.requests.map((r) => r.body)), /are you there/);

      term.type("/unlink");
      await term.waitFor(/Card om_1 detached\./);
      assert.match(cardText(feishu, "om_1"), /tscodex session detached/);
      term.type("/unlink");
      await term.waitFor(/No Feishu card is linked\./);
      term.type("/exit");
      await term.exited();
      // The app's secret went only to the token and connection endpoints, never into a card.
      const sealed = /^\/(auth\/|callback\/ws\/endpoint)/;
      for (const call of feishu.calls.filter((c) => !sealed.test(c.path))) {
        assert.doesNotMatch(JSON.stringify(call.body ?? {}), new RegExp(feishu.appSecret));
      }
    } finally {
      term.kill();
      await server.close();
      await feishu.close();
    }
  },
});

Deno.test("tscodex feishu-oauth exchanges the pasted code for a refresh token kept 0600", async () => {
  const feishu = await new FakeFeishu({ authorizationCode: "the-code" }).start();
  try {
    const home = await tempDir("tscodex-oauth-");
    const env = {
      HOME: home,
      CODEX_HOME: home,
      FEISHU_APP_ID: feishu.appId,
      FEISHU_APP_SECRET: feishu.appSecret,
      FEISHU_API_BASE: feishu.apiBase,
    };
    // The browser's address pasted whole, as the page leaves it.
    const run = await runCli(["feishu-oauth"], {
      cwd: home,
      env,
      stdin: "https://httpbin.org/get?code=the-code&state=x\n",
    });
    assert.equal(run.code, 0, run.stderr);
    const page = new URL(run.stdout.match(/https:\/\/accounts\.feishu\.cn\S+/)![0]);
    assert.equal(page.searchParams.get("client_id"), feishu.appId);
    assert.match(page.searchParams.get("scope")!, /offline_access/);
    assert.match(
      run.stdout,
      /Stored the refresh token in .*\.feishu_refresh_token; it lasts 7 days/,
    );
    const file = join(home, ".feishu_refresh_token");
    assert.equal((await readFile(file, "utf8")).trim(), feishu.validRefreshToken);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const [exchange] = feishu.callsTo("POST", "/authen/v2/oauth/token");
    assert.equal(exchange.body?.grant_type, "authorization_code");
    assert.equal(exchange.body?.redirect_uri, "https://httpbin.org/get");
    assert.doesNotMatch(run.stdout + run.stderr, new RegExp(feishu.appSecret));

    // A spent code is Feishu's refusal in a sentence; no credentials is a usage error.
    const spent = await runCli(["feishu-oauth", "--code", "old-code"], { cwd: home, env });
    assert.equal(spent.code, 1);
    assert.match(spent.stderr, /^Error: Feishu refused to issue a user token: .*\(code 20037\)\n$/);
    const bare = await runCli(["feishu-oauth", "--code", "x"], {
      cwd: home,
      env: { HOME: home, CODEX_HOME: home },
    });
    assert.equal(bare.code, 2);
    assert.match(bare.stderr, /set FEISHU_APP_ID and FEISHU_APP_SECRET/);
  } finally {
    await feishu.close();
  }
});
