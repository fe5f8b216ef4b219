// The system's time zone and local time. Where local time is UTC — TZ says so, or it is unset on a
// machine whose zone is UTC, as on most CI machines and containers — it is read from the UTC
// clock, which spares loading the time-zone database (several milliseconds of every start).
import { readFileSync, readlinkSync } from "node:fs";
import process from "node:process";

const UTC_NAMES = new Set([
  "UTC",
  "Etc/UTC",
  "Etc/UCT",
  "UCT",
  "Etc/Universal",
  "Universal",
  "Zulu",
]);

let zone: string | undefined;

/**
 * The system's time zone as upstream names it: the target of /etc/localtime (then /etc/timezone),
 * not the TZ variable.
 */
export function systemTimeZone(): string {
  return zone ??= readZone();
}

function readZone(): string {
  try {
    const name = /zoneinfo\/(.+)$/.exec(readlinkSync("/etc/localtime"))?.[1];
    if (name) return name;
  } catch {
    // Not a link (or no such file): ask the next source.
  }
  try {
    const name = readFileSync("/etc/timezone", "utf8").trim();
    if (name) return name;
  } catch {
    // No such file.
  }
  const name = Intl.DateTimeFormat().resolvedOptions().timeZone || "Etc/UTC";
  // ICU names UTC "UTC"; Codex reports the IANA name Etc/UTC.
  return name === "UTC" ? "Etc/UTC" : name;
}

export interface LocalTime {
  year: number;
  /** 1–12. */
  month: number;
  day: number;
  hours: number;
  minutes: number;
  seconds: number;
}

/** TZ values that mean UTC (an empty TZ does too). */
const UTC_TZ = /^:?(UTC0?|GMT0?|Etc\/UTC|Etc\/GMT|Etc\/UCT|UCT|Etc\/Universal|Universal|Zulu)?$/;

/** Whether local time is UTC: TZ says so, or it is unset and the system's zone is UTC. */
function localIsUtc(): boolean {
  const tz = process.env.TZ;
  return tz === undefined ? UTC_NAMES.has(systemTimeZone()) : UTC_TZ.test(tz);
}

/** `now` in local time (TZ honoured). */
export function localTime(now: Date): LocalTime {
  if (localIsUtc()) {
    return {
      year: now.getUTCFullYear(),
      month: now.getUTCMonth() + 1,
      day: now.getUTCDate(),
      hours: now.getUTCHours(),
      minutes: now.getUTCMinutes(),
      seconds: now.getUTCSeconds(),
    };
  }
  return {
    year: now.getFullYear(),
    month: now.getMonth() + 1,
    day: now.getDate(),
    hours: now.getHours(),
    minutes: now.getMinutes(),
    seconds: now.getSeconds(),
  };
}

/** Two digits, for dates and times. */
export function pad2(n: number): string {
  return String(n).padStart(2, "0");
}
