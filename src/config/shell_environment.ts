// `[shell_environment_policy]`: which of tscodex's environment variables the commands the model
// runs may see (src/tools/environment.ts applies it). Defaults are upstream 0.115.0's: inherit
// everything, and `ignore_default_excludes = true`, so `*KEY*`, `*SECRET*`, `*TOKEN*` pass unless
// the user sets it to false.
import { z } from "zod";

export const ShellEnvironmentPolicyToml = z.looseObject({
  inherit: z.enum(["all", "core", "none"]).optional(),
  ignore_default_excludes: z.boolean().optional(),
  exclude: z.array(z.string()).optional(),
  set: z.record(z.string(), z.string()).optional(),
  include_only: z.array(z.string()).optional(),
});
export type ShellEnvironmentPolicyToml = z.infer<typeof ShellEnvironmentPolicyToml>;

export interface ShellEnvironmentPolicy {
  inherit: "all" | "core" | "none";
  ignoreDefaultExcludes: boolean;
  exclude: string[];
  set: Record<string, string>;
  includeOnly: string[];
}

/** The policy a config.toml table describes, upstream's defaults filling what it leaves out. */
export function shellEnvironmentPolicy(
  table: ShellEnvironmentPolicyToml | undefined,
): ShellEnvironmentPolicy {
  return {
    inherit: table?.inherit ?? "all",
    ignoreDefaultExcludes: table?.ignore_default_excludes ?? true,
    exclude: table?.exclude ?? [],
    set: table?.set ?? {},
    includeOnly: table?.include_only ?? [],
  };
}
