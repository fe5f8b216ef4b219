// Context assembly: the base instructions and the messages that tell the model where it runs.
import type { ResponseItem } from "../protocol/mod.ts";
import { BASE_INSTRUCTIONS } from "./prompts.ts";

export { BASE_INSTRUCTIONS };

export interface EnvironmentFacts {
  cwd: string;
  shell: string;
  currentDate: string;
  timezone: string;
}

export function environmentFacts(cwd: string, shell: string, now = new Date()): EnvironmentFacts {
  const timezone = Intl.DateTimeFormat().resolvedOptions().timeZone || "Etc/UTC";
  const date = new Intl.DateTimeFormat("en-CA", {
    timeZone: timezone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  })
    .format(now);
  return { cwd, shell: shell.split("/").pop() || "bash", currentDate: date, timezone };
}

export function environmentContextText(facts: EnvironmentFacts): string {
  return [
    "<environment_context>",
    `  <cwd>${facts.cwd}</cwd>`,
    `  <shell>${facts.shell}</shell>`,
    `  <current_date>${facts.currentDate}</current_date>`,
    `  <timezone>${facts.timezone}</timezone>`,
    "</environment_context>",
  ].join("\n");
}

/** The user-role context message sent before the first user turn. */
export function initialContext(facts: EnvironmentFacts): ResponseItem[] {
  return [{
    type: "message",
    role: "user",
    content: [{ type: "input_text", text: environmentContextText(facts) }],
  }];
}
