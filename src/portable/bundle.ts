// A portable home: the files of a Codex home that make it what it is (config.toml, .env, the
// AGENTS files, skills, a relative model_instructions_file), zipped, then sealed with AES-256-GCM
// under a key derived from a random secret. The sealed bundle's hash is its call id, so a storage
// server can keep it without ever being able to read it; the secret travels only in the `--call`
// spec the user passes on.
import { lstatSync, readdirSync, readFileSync } from "node:fs";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { unzipSync, zipSync } from "fflate";
import { parse } from "smol-toml";
import { PortableError } from "./errors.ts";

/** The bundle's first bytes: what it is and its format's version. */
const MAGIC = new TextEncoder().encode("TSCX1");
const NONCE_BYTES = 12;
const SECRET_BYTES = 16;
/** Bytes of the payload's SHA-256 that name it. */
const CALL_ID_BYTES = 8;

/** What a home may hold at its top level besides `skills/`. */
const TOP_FILES = ["config.toml", ".env", "AGENTS.md", "AGENTS.override.md"];

/** Limits a bundle must keep, so unpacking one can neither fill a disk nor flood a folder. */
export const LIMITS = { files: 10_000, bytes: 256 * 1024 * 1024 };

/** The largest sealed home a storage server keeps or a client downloads; more is refused as it arrives. */
export const MAX_BUNDLE_BYTES = 64 * 1024 * 1024;

export type HomeFiles = Record<string, Uint8Array>;

export function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function unhex(text: string): Uint8Array {
  return new Uint8Array(text.match(/../g)!.map((pair) => parseInt(pair, 16)));
}

async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
}

/** The call id of a sealed bundle: the start of its SHA-256, in hex. */
export async function callIdOf(payload: Uint8Array): Promise<string> {
  return hex((await sha256(payload)).subarray(0, CALL_ID_BYTES));
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return hex(await sha256(bytes));
}

export const CALL_ID_PATTERN = new RegExp(`^[0-9a-f]{${CALL_ID_BYTES * 2}}$`);
export const SECRET_PATTERN = new RegExp(`^[0-9a-f]{${SECRET_BYTES * 2}}$`);

/** The AES-256-GCM key of a secret (HKDF-SHA-256, bound to this format). */
async function keyOf(secret: string): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey(
    "raw",
    unhex(secret) as BufferSource,
    "HKDF",
    false,
    ["deriveKey"],
  );
  return crypto.subtle.deriveKey(
    {
      name: "HKDF",
      hash: "SHA-256",
      salt: MAGIC as BufferSource,
      info: new TextEncoder().encode("tscodex portable home") as BufferSource,
    },
    material,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
}

/** A path inside the home, with forward slashes; undefined for one that leaves it. */
function insideHome(home: string, path: string): string | undefined {
  const rel = relative(home, resolve(home, path));
  if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) return undefined;
  return rel.split(sep).join("/");
}

function readRegularFile(path: string): Uint8Array | undefined {
  try {
    if (!lstatSync(path).isFile()) return undefined;
  } catch {
    return undefined;
  }
  return readFileSync(path);
}

/** Every regular file under `dir` (symbolic links are not followed), as home-relative paths. */
function filesUnder(home: string, dir: string, out: HomeFiles): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) filesUnder(home, path, out);
    else if (entry.isFile()) out[relative(home, path).split(sep).join("/")] = readFileSync(path);
  }
}

/** The `model_instructions_file` values of config.toml: the top level's and every profile's. */
function instructionFiles(config: Uint8Array, file: string): string[] {
  let table: Record<string, unknown>;
  try {
    table = parse(new TextDecoder().decode(config)) as Record<string, unknown>;
  } catch (err) {
    throw new PortableError(
      `${file} is not valid TOML (${(err as Error).message.split("\n")[0]}); fix it first`,
    );
  }
  const profiles = Object.values((table.profiles ?? {}) as Record<string, Record<string, unknown>>);
  return [table, ...profiles].map((t) => t?.model_instructions_file)
    .filter((value): value is string => typeof value === "string");
}

/**
 * The files of the home in `dir` that a portable home carries. A home without config.toml, and a
 * model_instructions_file outside the home, are errors.
 */
export function collectHome(dir: string): HomeFiles {
  const home = resolve(dir);
  const files: HomeFiles = {};
  for (const name of TOP_FILES) {
    const bytes = readRegularFile(join(home, name));
    if (bytes) files[name] = bytes;
  }
  if (!files["config.toml"]) {
    throw new PortableError(
      `${home} has no config.toml: --put uploads a Codex home; name one that has it ` +
        "(`--put DIR@HOST:PORT`), or leave DIR out to use CODEX_HOME",
    );
  }
  filesUnder(home, join(home, "skills"), files);
  for (const path of instructionFiles(files["config.toml"], join(home, "config.toml"))) {
    const rel = insideHome(home, path);
    if (!rel || isAbsolute(path)) {
      throw new PortableError(
        `model_instructions_file = "${path}" in ${join(home, "config.toml")} is outside the ` +
          "home, so it cannot travel with it; move the file into the home and name it relatively",
      );
    }
    const bytes = readRegularFile(join(home, rel));
    if (!bytes) {
      throw new PortableError(
        `model_instructions_file = "${path}" in ${join(home, "config.toml")} does not exist`,
      );
    }
    files[rel] = bytes;
  }
  return files;
}

export interface Sealed {
  payload: Uint8Array;
  secret: string;
  callId: string;
}

/** Zips and encrypts the files under a new random secret. */
export function seal(files: HomeFiles): Promise<Sealed> {
  return sealZip(zipSync(files, { level: 9 }));
}

/** Encrypts a zip archive under a new random secret (`seal` without the zipping). */
export async function sealZip(zipped: Uint8Array): Promise<Sealed> {
  const secret = hex(crypto.getRandomValues(new Uint8Array(SECRET_BYTES)));
  const nonce = crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
  const ciphertext = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: "AES-GCM", iv: nonce as BufferSource },
      await keyOf(secret),
      zipped as BufferSource,
    ),
  );
  const payload = new Uint8Array(MAGIC.length + nonce.length + ciphertext.length);
  payload.set(MAGIC, 0);
  payload.set(nonce, MAGIC.length);
  payload.set(ciphertext, MAGIC.length + nonce.length);
  return { payload, secret, callId: await callIdOf(payload) };
}

/** Whether these bytes start as a sealed bundle does. */
export function looksSealed(payload: Uint8Array): boolean {
  return payload.length > MAGIC.length + NONCE_BYTES &&
    MAGIC.every((byte, i) => payload[i] === byte);
}

/**
 * Decrypts and unzips a bundle. A secret that does not open it is an error that says so; a name
 * that would leave the folder it is unpacked into, or a bundle over the limits, is refused.
 */
export async function unseal(
  payload: Uint8Array,
  secret: string,
  limits: { files: number; bytes: number } = LIMITS,
): Promise<HomeFiles> {
  if (!looksSealed(payload)) {
    throw new PortableError("the downloaded object is not a tscodex portable home");
  }
  const nonce = payload.subarray(MAGIC.length, MAGIC.length + NONCE_BYTES);
  let zipped: Uint8Array;
  try {
    zipped = new Uint8Array(
      await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: nonce as BufferSource },
        await keyOf(secret),
        payload.subarray(MAGIC.length + NONCE_BYTES) as BufferSource,
      ),
    );
  } catch {
    throw new PortableError(
      "the secret in the --call spec does not open this home: check that the spec was copied " +
        "whole, as `tscodex --put` printed it",
    );
  }
  let count = 0;
  let total = 0;
  const unzipped = unzipSync(zipped, {
    filter: (file) => {
      count++;
      // An entry stored as is takes its stored size, whatever size its header claims.
      total += Math.max(file.size, file.originalSize);
      if (count > limits.files || total > limits.bytes) {
        throw new PortableError(
          `the home holds more than ${limits.files} files or ${limits.bytes} bytes; refused`,
        );
      }
      return !file.name.endsWith("/");
    },
  });
  for (const name of Object.keys(unzipped)) {
    if (!isSafeName(name)) {
      throw new PortableError(`the home holds a file named ${JSON.stringify(name)}; refused`);
    }
    const parts = name.split("/");
    if (parts.slice(1).some((_, i) => parts.slice(0, i + 1).join("/") in unzipped)) {
      throw new PortableError(
        `the home holds ${JSON.stringify(name)} inside a file of the same home; refused`,
      );
    }
  }
  return unzipped;
}

/** A relative name of plain segments: no absolute path, drive, backslash, `.` or `..`. */
export function isSafeName(name: string): boolean {
  if (name === "" || name.startsWith("/") || name.includes("\\") || name.includes("\0")) {
    return false;
  }
  if (/^[A-Za-z]:/.test(name)) return false;
  return name.split("/").every((part) => part !== "" && part !== "." && part !== "..");
}
