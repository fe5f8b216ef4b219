// A portable home's files, seal and unseal, on real folders.
import assert from "node:assert/strict";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { zipSync } from "fflate";
import { tempDir } from "../testing/mod.ts";
import { collectHome, isSafeName, seal, unseal } from "./bundle.ts";
import { PortableError } from "./errors.ts";

const text = (bytes: Uint8Array | undefined) => new TextDecoder().decode(bytes);

async function home(files: Record<string, string>): Promise<string> {
  const dir = await tempDir("tscodex-portable-");
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

Deno.test("collectHome: the whitelist and the instruction files the config names, nothing else", async () => {
  const dir = await home({
    "config.toml": 'model_instructions_file = "prompts/base.md"\n' +
      '[profiles.fast]\nmodel_instructions_file = "fast.md"\n',
    ".env": "KEY=v\n",
    "AGENTS.md": "agents",
    "AGENTS.override.md": "override",
    "skills/one/SKILL.md": "skill one",
    "skills/one/scripts/run.sh": "echo",
    "prompts/base.md": "base",
    "fast.md": "fast",
    "sessions/2026/01/01/rollout-x.jsonl": "{}",
    "auth.json": "{}",
    "history.jsonl": "{}",
  });
  symlinkSync("/etc/hostname", join(dir, "skills", "one", "linked"));
  const files = collectHome(dir);
  assert.deepEqual(Object.keys(files).sort(), [
    ".env",
    "AGENTS.md",
    "AGENTS.override.md",
    "config.toml",
    "fast.md",
    "prompts/base.md",
    "skills/one/SKILL.md",
    "skills/one/scripts/run.sh",
  ]);
  assert.equal(text(files["prompts/base.md"]), "base");
});

Deno.test("collectHome: no config.toml, and an instruction file outside the home, are errors", async () => {
  const empty = await tempDir("tscodex-portable-");
  assert.throws(
    () => collectHome(empty),
    (err: Error) =>
      err instanceof PortableError && /has no config\.toml: --put uploads/.test(err.message),
  );
  for (const path of ["../outside.md", "/etc/hostname"]) {
    const dir = await home({ "config.toml": `model_instructions_file = "${path}"\n` });
    assert.throws(
      () => collectHome(dir),
      new RegExp(
        `model_instructions_file = "${path.replace(/[./]/g, "\\$&")}" .* is outside the home`,
      ),
    );
  }
  const missing = await home({ "config.toml": 'model_instructions_file = "gone.md"\n' });
  assert.throws(() => collectHome(missing), /"gone\.md" .* does not exist/);
  const broken = await home({ "config.toml": "model = \n" });
  assert.throws(() => collectHome(broken), /config\.toml is not valid TOML/);
});

Deno.test("seal: no plaintext in the bundle; unseal with the secret gives the files back, with another fails", async () => {
  const files = {
    "config.toml": new TextEncoder().encode('model = "very-distinctive-model"\n'),
    ".env": new TextEncoder().encode("API_KEY=sk-distinctive-secret\n"),
  };
  const sealed = await seal(files);
  assert.match(sealed.secret, /^[0-9a-f]{32}$/);
  assert.match(sealed.callId, /^[0-9a-f]{16}$/);
  const raw = new TextDecoder("latin1").decode(sealed.payload);
  for (const plain of ["very-distinctive-model", "sk-distinctive-secret", "config.toml", "PK"]) {
    assert.ok(!raw.includes(plain), `${plain} is not readable in the bundle`);
  }
  const back = await unseal(sealed.payload, sealed.secret);
  assert.equal(text(back[".env"]), "API_KEY=sk-distinctive-secret\n");
  const other = await seal(files);
  assert.notEqual(other.callId, sealed.callId, "a fresh nonce and secret each time");
  await assert.rejects(unseal(sealed.payload, other.secret), /does not open this home/);
  const flipped = sealed.payload.slice();
  flipped[flipped.length - 1] ^= 1;
  await assert.rejects(unseal(flipped, sealed.secret), /does not open this home/);
  await assert.rejects(unseal(zipSync(files), sealed.secret), /not a tscodex portable home/);
});

Deno.test("unseal refuses names that would leave the folder, and homes over the limits", async () => {
  for (const name of ["../evil", "/etc/evil", "a/../../evil", "C:/evil", "a\\..\\evil"]) {
    const sealed = await seal({ [name]: new Uint8Array([1]) });
    await assert.rejects(unseal(sealed.payload, sealed.secret), /holds a file named .*; refused/);
  }
  const many = await seal({ a: new Uint8Array(10), b: new Uint8Array(10), c: new Uint8Array(10) });
  await assert.rejects(
    unseal(many.payload, many.secret, { files: 2, bytes: 1000 }),
    /more than 2 files or 1000 bytes/,
  );
  const big = await seal({ a: new Uint8Array(5000) });
  await assert.rejects(unseal(big.payload, big.secret, { files: 9, bytes: 1000 }), /refused/);
  assert.deepEqual(
    ["skills/a/SKILL.md", ".env", "a..b"].map(isSafeName),
    [true, true, true],
  );
});
