// Who is calling: the `originator` and `user-agent` headers. The user agent follows upstream's
// format — `<name>/<version> (<os> <os version>; <arch>) <terminal> (<client>; <version>)` — with
// our own version, e.g. `codex_exec/0.1.0 (Debian 12.0.0; x86_64) xterm (codex-exec; 0.1.0)`.
import { readFileSync } from "node:fs";
import { machine, platform, release } from "node:os";

export interface ClientIdentity {
  /** The `originator` header: `codex_exec` for exec, as upstream sends it. */
  originator: string;
  userAgent: string;
}

/** Names os-release IDs the way upstream's OS detection reports them. */
const LINUX_NAMES: Record<string, string> = {
  alpine: "Alpine Linux",
  amzn: "Amazon Linux",
  arch: "Arch Linux",
  centos: "CentOS",
  debian: "Debian",
  fedora: "Fedora",
  linuxmint: "Linux Mint",
  nixos: "NixOS",
  rhel: "Red Hat Enterprise Linux",
  rocky: "Rocky Linux",
  ubuntu: "Ubuntu",
};

function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

/** `12` → `12.0.0`, `22.04` → `22.4.0`; anything else is unknown. */
export function semverish(version: string | undefined): string {
  const parts = version?.trim().split(".") ?? [];
  if (parts.length === 0 || parts.length > 3 || !parts.every((p) => /^\d+$/.test(p))) {
    return "Unknown";
  }
  return [...parts, "0", "0"].slice(0, 3).map((p) => String(Number(p))).join(".");
}

function osDescription(): string {
  switch (platform()) {
    case "linux": {
      const fields = Object.fromEntries(
        readText("/etc/os-release").split("\n").map((line) => {
          const eq = line.indexOf("=");
          return [line.slice(0, eq), line.slice(eq + 1).replace(/^"|"$/g, "")];
        }),
      );
      return `${LINUX_NAMES[fields.ID] ?? "Linux"} ${semverish(fields.VERSION_ID)}`;
    }
    case "darwin": {
      const plist = readText("/System/Library/CoreServices/SystemVersion.plist");
      const version = /<key>ProductVersion<\/key>\s*<string>([^<]+)<\/string>/.exec(plist)?.[1];
      return `Mac OS ${semverish(version)}`;
    }
    case "win32":
      return `Windows ${semverish(release())}`;
    default:
      return `${platform()} ${semverish(release())}`;
  }
}

/** The terminal token: the emulator when it announces itself, else $TERM, else `unknown`. */
export function terminalToken(env: Record<string, string | undefined>): string {
  const program = env.TERM_PROGRAM?.trim();
  const token = program
    ? program + (env.TERM_PROGRAM_VERSION?.trim() ? `/${env.TERM_PROGRAM_VERSION.trim()}` : "")
    : env.WT_SESSION
    ? "WindowsTerminal"
    : env.TERM?.trim() || "unknown";
  // Header values allow only visible ASCII; anything else would make fetch reject the request.
  return token.replace(/[^\x21-\x7e]/g, "_");
}

export function userAgent(
  options: { name: string; client: string; version: string },
  env: Record<string, string | undefined>,
): string {
  const { name, client, version } = options;
  return `${name}/${version} (${osDescription()}; ${machine()}) ${terminalToken(env)} ` +
    `(${client}; ${version})`;
}

/**
 * The identity a surface presents, in upstream's exact form so that providers which key on it
 * treat tscodex as the Codex client it replaces: originator `codex_exec` for exec, and the user
 * agent `codex_exec/<our version> (…) <terminal> (codex-exec; <our version>)`.
 */
export function clientIdentity(
  originator: string,
  version: string,
  env: Record<string, string | undefined>,
): ClientIdentity {
  const surface = originator === "codex_exec" ? "exec" : "tui";
  return {
    originator,
    userAgent: userAgent({ name: originator, client: `codex-${surface}`, version }, env),
  };
}
