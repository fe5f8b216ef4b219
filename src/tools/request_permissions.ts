// request_permissions: the model asks for more than the sandbox allows — network access, or
// reading and writing given paths — and the user grants a subset for this turn or the session.
// Upstream declares it behind the `request_permissions_tool` feature; its reply is the grant as
// JSON, so a refusal is an empty grant (`{"network":null,"file_system":null}`), as upstream sends
// when nobody can approve. Grants widen the sandbox the tools see: write paths become writable
// roots, network access is let through.
import { resolve } from "node:path";
import { z } from "zod";
import { defineFunctionTool, type ToolDef } from "./registry.ts";
import type { SandboxPolicy } from "./sandbox.ts";

const DESCRIPTION = "Ask the user for network access or for read/write access to specific paths " +
  "beyond the sandbox, and wait for the decision. The reply lists what was granted (possibly " +
  "less than asked, possibly nothing) and whether it holds for this turn or the whole session.";

const PermissionProfile = z.object({
  file_system: z.object({
    read: z.array(z.string()).describe("Paths to be allowed to read.").optional(),
    write: z.array(z.string()).describe("Paths to be allowed to write to.").optional(),
  }).optional(),
  network: z.object({
    enabled: z.boolean().describe("True to ask for outbound network.").optional(),
  }).optional(),
});
export type PermissionProfile = z.infer<typeof PermissionProfile>;

const RequestPermissionsArgs = z.object({
  permissions: PermissionProfile,
  reason: z.string().describe("One sentence telling the user why, shown with the request.")
    .optional(),
});

export type GrantScope = "turn" | "session";

export interface PermissionGrant {
  permissions: PermissionProfile;
  scope: GrantScope;
}

export interface PermissionRequest {
  callId: string;
  reason?: string;
  /** Paths already resolved against the working directory. */
  permissions: PermissionProfile;
}

/** Asks the user; undefined is a refusal. */
export type PermissionsHandler = (
  request: PermissionRequest,
  signal: AbortSignal,
) => Promise<PermissionGrant | undefined>;

export const NO_PERMISSION_REQUESTED = "request_permissions requires at least one permission";

function isEmpty(profile: PermissionProfile): boolean {
  return profile.network?.enabled !== true && !profile.file_system?.read?.length &&
    !profile.file_system?.write?.length;
}

/** The profile with its paths made absolute, empty parts dropped. */
function resolvedProfile(profile: PermissionProfile, cwd: string): PermissionProfile {
  const paths = (list?: string[]) => list?.length ? list.map((p) => resolve(cwd, p)) : undefined;
  const read = paths(profile.file_system?.read);
  const write = paths(profile.file_system?.write);
  return {
    ...(profile.network?.enabled === true ? { network: { enabled: true } } : {}),
    ...(read || write
      ? { file_system: { ...(read ? { read } : {}), ...(write ? { write } : {}) } }
      : {}),
  };
}

/** Upstream's reply: both scopes of the profile always present, `null` when not granted. */
function grantText(grant: PermissionGrant): string {
  return JSON.stringify({
    permissions: {
      network: grant.permissions.network ?? null,
      file_system: grant.permissions.file_system ?? null,
    },
    scope: grant.scope,
  });
}

/** What the user granted so far; turn grants end with the turn. */
export class PermissionGrants {
  #session: PermissionProfile[] = [];
  #turn: PermissionProfile[] = [];

  add(grant: PermissionGrant): void {
    (grant.scope === "session" ? this.#session : this.#turn).push(grant.permissions);
  }

  endTurn(): void {
    this.#turn = [];
  }

  get networkEnabled(): boolean {
    return [...this.#session, ...this.#turn].some((p) => p.network?.enabled === true);
  }

  /** Granted write paths, session grants first. */
  get writableRoots(): string[] {
    return [...this.#session, ...this.#turn].flatMap((p) => p.file_system?.write ?? []);
  }

  /** The sandbox the tools see: the base one widened by what was granted. */
  sandbox(base: SandboxPolicy | undefined): SandboxPolicy | undefined {
    const granted = this.writableRoots;
    const network = this.networkEnabled;
    if (!base || (granted.length === 0 && !network)) return base;
    return {
      ...base,
      writableRoots: [...(base.writableRoots ?? []), ...granted],
      ...(network ? { networkAccess: true } : {}),
    };
  }
}

export interface RequestPermissionsOptions {
  /** Absent when nobody can approve (exec): every request gets the empty grant. */
  handler?: PermissionsHandler;
  grants: PermissionGrants;
}

export function requestPermissionsTool(options: RequestPermissionsOptions): ToolDef {
  return defineFunctionTool({
    kind: "function",
    name: "request_permissions",
    description: DESCRIPTION,
    parameters: RequestPermissionsArgs,
    async execute(args, ctx) {
      if (isEmpty(args.permissions)) return NO_PERMISSION_REQUESTED;
      const permissions = resolvedProfile(args.permissions, ctx.cwd);
      const decided = await options.handler?.({
        callId: ctx.callId,
        ...(args.reason !== undefined ? { reason: args.reason } : {}),
        permissions,
      }, ctx.signal);
      const grant: PermissionGrant = decided
        ? { permissions: resolvedProfile(decided.permissions, ctx.cwd), scope: decided.scope }
        : { permissions: {}, scope: "turn" };
      options.grants.add(grant);
      return grantText(grant);
    },
  });
}
