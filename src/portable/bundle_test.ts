// A portable home's files, seal and unseal, on real folders.
import assert from "node:assert/strict";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { zipSync } from "fflate";
import { tempDir } from "../testing/mod.ts";
import { collectHome, isSafeName, seal, sealZip, unseal } from "./bundle.ts";
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
  const nested = await seal({ "skills/a": new Uint8Array([1]), "skills/a/b": new Uint8Array([2]) });
  await assert.rejects(
    unseal(nested.payload, nested.secret),
    /holds "skills\/a\/b" inside a file of the same home; refused/,
  );
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

Deno.test("unseal counts an entry stored as is by its real size, not the size its header claims", async () => {
  const zipped = zipSync({ a: new Uint8Array(5000).fill(7) }, { level: 0 });
  const view = new DataView(zipped.buffer);
  // The uncompressed size in the local header (offset 22) and the central directory's (offset 24).
  const central = zipped.findIndex((_, i) => view.getUint32(i, true) === 0x02014b50);
  assert.equal(view.getUint32(22, true), 5000);
  assert.equal(view.getUint32(central + 24, true), 5000);
  view.setUint32(22, 0, true);
  view.setUint32(central + 24, 0, true);
  const sealed = await sealZip(zipped);
  await assert.rejects(
    unseal(sealed.payload, sealed.secret, { files: 9, bytes: 1000 }),
    /more than 9 files or 1000 bytes; refused/,
  );
  assert.equal((await unseal(sealed.payload, sealed.secret)).a.length, 5000, "under the limits");
});
