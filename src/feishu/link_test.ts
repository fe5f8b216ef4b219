// The Feishu link against the fake Feishu API over real HTTP: tokens (the user's rotating refresh
// token kept 0600), whom a target names, the card sent, patched with the answer, and prompts from
// the card accepted or refused.
import assert from "node:assert/strict";
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { AgentEvent } from "../agent/mod.ts";
import { tempDir, until } from "../testing/mod.ts";
import { FeishuApi, FeishuLink, feishuSettings, resolveTarget } from "./mod.ts";
import { CardActionListener } from "./listener.ts";
import { FakeFeishu } from "./testing.ts";

const PEOPLE = [
  { openId: "ou_alice", name: "Alice", email: "alice@example.com", mobile: "13800000000" },
  { openId: "ou_bob", name: "Bob", email: "bob@example.com" },
];

async function withFeishu(
  options: ConstructorParameters<typeof FakeFeishu>[0],
  run: (feishu: FakeFeishu, home: string, env: Record<string, string>) => Promise<void>,
): Promise<void> {
  const feishu = await new FakeFeishu({ people: PEOPLE, ...options }).start();
  const home = await tempDir("tscodex-feishu-");
  const env = {
    FEISHU_APP_ID: feishu.appId,
    FEISHU_APP_SECRET: feishu.appSecret,
    FEISHU_API_BASE: feishu.apiBase,
  };
  try {
    await run(feishu, home, env);
  } finally {
    await feishu.close();
  }
}

const api = (home: string, env: Record<string, string | undefined>) =>
  new FeishuApi(feishuSettings(home, env), env);

Deno.test("feishu: the user's refresh token rotates on use and is kept 0600; a spent one is refused", async () => {
  await withFeishu({ refreshToken: "r-first" }, async (feishu, home, env) => {
    const first = api(home, { ...env, FEISHU_REFRESH_TOKEN: "r-first" });
    const token = await first.messageToken();
    assert.match(token, /^u-/);
    const file = join(home, ".feishu_refresh_token");
    const stored = (await readFile(file, "utf8")).trim();
    assert.equal(stored, feishu.validRefreshToken);
    assert.notEqual(stored, "r-first");
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    // The token is reused while it lasts: one exchange so far.
    assert.equal(await first.messageToken(), token);
    assert.equal(feishu.callsTo("POST", "/authen/v2/oauth/token").length, 1);

    // The next start reads the stored token (not the spent one from the environment).
    const second = api(home, { ...env, FEISHU_REFRESH_TOKEN: "r-first" });
    assert.match(await second.messageToken(), /^u-/);
    assert.notEqual((await readFile(file, "utf8")).trim(), stored);
    const grants = feishu.callsTo("POST", "/authen/v2/oauth/token").map((c) => c.body);
    assert.deepEqual(grants.map((b) => b?.refresh_token), ["r-first", stored]);

    // A spent token is a sentence naming the fix.
    await writeFile(file, "r-first\n");
    await assert.rejects(
      api(home, env).messageToken(),
      /no longer works: run `tscodex feishu-oauth`.*to send as the app's bot/,
    );
  });
});

Deno.test("feishu: without a refresh token cards go out with the app's tenant token", async () => {
  await withFeishu({}, async (feishu, home, env) => {
    const client = api(home, env);
    const id = await client.sendCard({ type: "open_id", id: "ou_bob", label: "bob" }, { x: 1 });
    const [send] = feishu.callsTo("POST", "/im/v1/messages");
    assert.equal(send.path, "/im/v1/messages?receive_id_type=open_id");
    assert.match(send.authorization ?? "", /^Bearer t-/);
    assert.deepEqual(feishu.card(id), { x: 1 });
  });
});

Deno.test("feishu: targets by alias, open id, chat id, email, mobile and bare name", async () => {
  await withFeishu({}, async (feishu, home, env) => {
    const client = api(home, {
      ...env,
      TSCODEX_FEISHU_USER_IDS: JSON.stringify({ team: "oc_team" }),
      FEISHU_DEFAULT_EMAIL_DOMAIN: "example.com",
    });
    const cases: [string, string, string][] = [
      ["team", "chat_id", "oc_team"],
      ["ou_carol", "open_id", "ou_carol"],
      ["oc_room", "chat_id", "oc_room"],
      ["bob@example.com", "open_id", "ou_bob"],
      ["138 0000 0000", "open_id", "ou_alice"],
      ["alice", "open_id", "ou_alice"],
    ];
    for (const [text, type, id] of cases) {
      const target = await resolveTarget(client, text);
      assert.deepEqual([target.type, target.id], [type, id], text);
    }
    const lookups = feishu.callsTo("POST", "/contact/v3/users/batch_get_id").map((c) => c.body);
    assert.deepEqual(lookups, [
      { emails: ["bob@example.com"] },
      { mobiles: ["13800000000"] },
      { emails: ["alice@example.com"] },
    ]);
    await assert.rejects(resolveTarget(client, "zed@example.com"), /knows nobody with the email/);
    await assert.rejects(resolveTarget(api(home, env), "zed"), /FEISHU_DEFAULT_EMAIL_DOMAIN/);
    assert.throws(() => feishuSettings(home, {}), /FEISHU_APP_ID and FEISHU_APP_SECRET/);
    // The seed's FEISHU_DOMAIN (Lark's site, say) gives the API base and the connection's site.
    const app = { FEISHU_APP_ID: "a", FEISHU_APP_SECRET: "s" };
    const lark = feishuSettings(home, { ...app, LARK_DOMAIN: "https://open.larksuite.com/" });
    assert.deepEqual([lark.apiBase, lark.site], [
      "https://open.larksuite.com/open-apis",
      "https://open.larksuite.com",
    ]);
    const local = feishuSettings(home, {
      ...app,
      FEISHU_API_BASE: "http://127.0.0.1:9/open-apis/",
    });
    assert.deepEqual([local.apiBase, local.site], [
      "http://127.0.0.1:9/open-apis",
      "http://127.0.0.1:9",
    ]);
    assert.throws(
      () => feishuSettings(home, { ...app, FEISHU_DOMAIN: "open.feishu.cn" }),
      /FEISHU_DOMAIN must be an http\(s\) URL/,
    );
  });
});

/** A session as the link sees it: a turn runs between `start` and `finish`. */
class Host {
  running = false;
  submitted: string[] = [];
  notices: string[] = [];
  busy = () => this.running;
  submit = (text: string) => void this.submitted.push(text);
  notice = (text: string) => void this.notices.push(text);
}

const turn = (turnId: string, texts: string[], answer: string[]): AgentEvent[] => [
  { type: "turn_started", turnId, texts },
  ...answer.map((delta): AgentEvent => ({ type: "text_delta", turnId, delta })),
  { type: "turn_completed", turnId, lastMessage: answer.join("") },
];

function cardText(card: Record<string, unknown> | undefined): string {
  return JSON.stringify(card ?? {});
}

Deno.test("feishu link: the card is sent, patched with the answer, takes prompts, refuses them mid-turn and detaches", async () => {
  await withFeishu({}, async (feishu, home, env) => {
    const host = new Host();
    const link = await FeishuLink.open(api(home, env), "alice@example.com", "gpt-test", host);
    assert.equal(link.target.id, "ou_alice");
    const sent = feishu.card(link.messageId)!;
    assert.equal(feishu.messages.get(link.messageId)!.receiveId, "ou_alice");
    assert.match(cardText(sent), /"tag":"input","name":"prompt","disabled":false/);
    assert.match(cardText(sent), /Ask gpt-test…/);

    // A turn typed in the terminal: the card follows it and ends with the whole answer.
    host.running = true;
    const events = turn("t1", ["how big is the sun?"], ["Very ", "big", "."]);
    for (const event of events.slice(0, -1)) link.onEvent(event);
    // Mid-turn, a prompt from the card is refused and nothing is submitted.
    const refused = await link.action({
      messageId: link.messageId,
      operatorId: "ou_alice",
      prompt: "hi",
    });
    assert.equal(refused.type, "warning");
    assert.match(refused.content, /A turn is running/);
    host.running = false;
    link.onEvent(events.at(-1)!);
    await until(
      () =>
        /Very big\./.test(cardText(feishu.card(link.messageId))) &&
        /"template":"green"/.test(cardText(feishu.card(link.messageId))),
      "the card to show the answer",
      { detail: () => cardText(feishu.card(link.messageId)) },
    );
    assert.match(cardText(feishu.card(link.messageId)), /> terminal: \*\*how big is the sun\?\*\*/);
    // Three deltas and the end became few updates, not one per event.
    assert.ok(feishu.messages.get(link.messageId)!.updates <= 2);

    // Only the person the card went to may drive the session from it; Bob, who was shown the card,
    // is turned away and nothing reaches the session.
    const stranger = await link.action({
      messageId: link.messageId,
      operatorId: "ou_bob",
      prompt: "rm -rf ~",
    });
    assert.deepEqual(stranger, {
      type: "warning",
      content: "Only alice@example.com can send prompts to this session.",
    });
    assert.equal(
      (await link.action({ messageId: link.messageId, prompt: "nobody named" })).type,
      "warning",
    );
    assert.deepEqual(host.submitted, []);

    // Alice's prompt from the card is accepted, and the card names who sent it.
    const accepted = await link.action({
      messageId: link.messageId,
      operatorId: "ou_alice",
      prompt: "  and the moon?  ",
    });
    assert.deepEqual(accepted, { type: "success", content: "Sent." });
    assert.deepEqual(host.submitted, ["and the moon?"]);
    assert.deepEqual(host.notices, ["feishu: Alice asks from the card: and the moon?"]);
    for (const event of turn("t2", ["and the moon?"], ["Smaller."])) link.onEvent(event);
    await until(
      () =>
        /> Alice: \*\*and the moon\?\*\*.*Smaller\./.test(cardText(feishu.card(link.messageId))),
      "the card to show Alice's prompt and its answer",
      { detail: () => cardText(feishu.card(link.messageId)) },
    );
    assert.deepEqual(
      await link.action({ messageId: link.messageId, prompt: " " }),
      { type: "info", content: "Type a prompt first." },
    );
    assert.equal(
      (await link.action({ messageId: "om_other", prompt: "x" })).type,
      "warning",
    );

    await link.close();
    const detached = cardText(feishu.card(link.messageId));
    assert.match(detached, /tscodex session detached/);
    assert.doesNotMatch(detached, /"tag":"input"/);
    assert.match(
      (await link.action({ messageId: link.messageId, prompt: "still there?" })).content,
      /no longer linked/,
    );
    assert.deepEqual(host.submitted, ["and the moon?"]);
    // Every call carried a token the fake issued; none was refused.
    assert.deepEqual(
      feishu.calls.filter((c) => !c.path.startsWith("/auth")).filter((c) => !c.authorization),
      [],
    );
  });
});

Deno.test("feishu link: an answer Feishu's markdown refuses is shown as plain text instead", async () => {
  await withFeishu({ refuseMarkdown: /<at / }, async (feishu, home, env) => {
    const link = await FeishuLink.open(api(home, env), "ou_alice", "m", new Host());
    for (const event of turn("t1", ["ping everyone"], ["<at id=all></at> done ``` here"])) {
      link.onEvent(event);
    }
    await link.close();
    const answer = (feishu.card(link.messageId)!.body as { elements: { content: string }[] })
      .elements[1].content;
    assert.equal(answer, "```text\n<at id=all></at> done ʼʼʼ here\n```");
    // The markdown was tried first and refused; the plain text was taken.
    const patches = feishu.callsTo("PATCH", "/im/v1/messages/").map((c) => String(c.body?.content));
    assert.equal(patches.length, 2);
    assert.match(patches[0], /"content":"<at id=all><\/at> done/);
  });
});

Deno.test("feishu link: a card sent to a chat takes prompts only from the people the user allows", async () => {
  const press = (link: FeishuLink, operatorId: string) =>
    link.action({ messageId: link.messageId, operatorId, prompt: "run it" });
  await withFeishu({}, async (feishu, home, env) => {
    const host = new Host();
    const closed = await FeishuLink.open(api(home, env), "oc_team", "gpt-test", host);
    assert.equal(feishu.messages.get(closed.messageId)!.receiveId, "oc_team");
    for (const who of ["ou_alice", "ou_bob"]) {
      assert.deepEqual(await press(closed, who), {
        type: "warning",
        content: "Prompts from this chat need TSCODEX_FEISHU_ALLOWED_USERS on the user's machine.",
      });
    }
    await closed.close();

    const allowing = {
      ...env,
      TSCODEX_FEISHU_USER_IDS: JSON.stringify({ bobby: "ou_bob" }),
      TSCODEX_FEISHU_ALLOWED_USERS: "bobby, ou_carol",
    };
    const open = await FeishuLink.open(api(home, allowing), "oc_team", "gpt-test", host);
    assert.equal((await press(open, "ou_alice")).type, "warning");
    assert.deepEqual(await press(open, "ou_bob"), { type: "success", content: "Sent." });
    await open.close();

    const anyone = await FeishuLink.open(
      api(home, { ...env, TSCODEX_FEISHU_ALLOWED_USERS: "*" }),
      "oc_team",
      "gpt-test",
      host,
    );
    assert.deepEqual(await press(anyone, "ou_alice"), { type: "success", content: "Sent." });
    await anyone.close();
    assert.deepEqual(host.submitted, ["run it", "run it"]);
  });
});

Deno.test("feishu listener: prompts typed into the card arrive over the long connection, also after it drops", async () => {
  await withFeishu({}, async (feishu, home, env) => {
    const host = new Host();
    const link = await FeishuLink.open(api(home, env), "ou_alice", "gpt-test", host, {
      listen: true,
    });
    try {
      // Accepted: the prompt is submitted and the toast says so.
      assert.deepEqual(await feishu.pressCard(link.messageId, "what time is it?"), {
        type: "success",
        content: "Sent.",
      });
      assert.deepEqual(host.submitted, ["what time is it?"]);
      assert.ok(feishu.pings >= 1);
      const [endpoint] = feishu.callsTo("POST", "/callback/ws/endpoint");
      assert.deepEqual(endpoint.body, { AppID: feishu.appId, AppSecret: feishu.appSecret });

      // Refused while a turn runs, and for a card that is not this link's.
      host.running = true;
      const busy = await feishu.pressCard(link.messageId, "and now?");
      assert.equal(busy.type, "warning");
      assert.match(busy.content, /A turn is running/);
      host.running = false;
      assert.match((await feishu.pressCard("om_elsewhere", "hello")).content, /no longer linked/);
      assert.deepEqual(host.submitted, ["what time is it?"]);

      // The gateway drops the connection: the listener says so once and comes back.
      feishu.dropListeners();
      await until(() => feishu.listeners === 0, "the connection to drop");
      assert.deepEqual(
        (await feishu.pressCard(link.messageId, "still there?")).content,
        "Sent.",
      );
      assert.deepEqual(host.submitted, ["what time is it?", "still there?"]);
      assert.ok(host.notices.some((n) => /connection dropped; connecting again/.test(n)));
    } finally {
      await link.close();
    }
    await until(() => feishu.listeners === 0, "the listener to hang up after /unlink");
  });
});

Deno.test("feishu listener: a refused long connection is one sentence saying what to turn on", async () => {
  await withFeishu({}, async (feishu, home, env) => {
    const notices: string[] = [];
    const wrong = { ...env, FEISHU_APP_SECRET: "not-the-secret" };
    const listener = CardActionListener.start(feishuSettings(home, wrong), {
      action: () => Promise.resolve({ type: "info", content: "" }),
      problem: (text) => notices.push(text),
    });
    try {
      await until(() => notices.length > 0, "the refusal to be said");
      assert.match(
        notices[0],
        /^feishu: Feishu refused the long connection \(app credentials are wrong, code 1000040343\); turn on "receive events and callbacks through the persistent connection".*prompt box is not heard/,
      );
      assert.equal(feishu.listeners, 0);
    } finally {
      listener.close();
    }
  });
});
