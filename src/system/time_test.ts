import assert from "node:assert/strict";
import { readlinkSync } from "node:fs";
import process from "node:process";
import { localTime, systemTimeZone } from "./time.ts";

Deno.test("the time zone is the system's (/etc/localtime), whatever TZ says", () => {
  let expected: string | undefined;
  try {
    expected = /zoneinfo\/(.+)$/.exec(readlinkSync("/etc/localtime"))?.[1];
  } catch {
    expected = undefined;
  }
  const before = process.env.TZ;
  try {
    process.env.TZ = "Pacific/Kiritimati";
    const zone = systemTimeZone();
    if (expected) assert.equal(zone, expected);
    assert.notEqual(zone, "Pacific/Kiritimati");
  } finally {
    if (before === undefined) delete process.env.TZ;
    else process.env.TZ = before;
  }
});

Deno.test("local time is what this process's Date calls local", () => {
  for (const iso of ["2026-03-01T02:30:05Z", "2026-12-31T23:59:59Z", "2027-01-01T00:00:00Z"]) {
    const now = new Date(iso);
    assert.deepEqual(localTime(now), {
      year: now.getFullYear(),
      month: now.getMonth() + 1,
      day: now.getDate(),
      hours: now.getHours(),
      minutes: now.getMinutes(),
      seconds: now.getSeconds(),
    }, iso);
  }
});

Deno.test("local time under a UTC TZ is the UTC clock; under another TZ it is Date's", () => {
  const before = process.env.TZ;
  const now = new Date("2026-12-31T23:30:00Z");
  try {
    for (const tz of ["UTC", ":UTC", "Etc/UTC", "UTC0", ""]) {
      process.env.TZ = tz;
      assert.deepEqual(
        localTime(now),
        { year: 2026, month: 12, day: 31, hours: 23, minutes: 30, seconds: 0 },
        tz,
      );
    }
    process.env.TZ = "Asia/Tokyo";
    assert.equal(localTime(now).day, now.getDate());
  } finally {
    if (before === undefined) delete process.env.TZ;
    else process.env.TZ = before;
  }
});
