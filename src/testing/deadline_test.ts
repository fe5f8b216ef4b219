// The deadline helpers fail with what was awaited, and do not get in the way of what settles.
import assert from "node:assert/strict";
import { until, within } from "./deadline.ts";

Deno.test("within: the promise's value, or a failure naming what never came", async () => {
  assert.equal(await within(Promise.resolve(7), "seven"), 7);
  await assert.rejects(within(Promise.reject(new Error("own")), "x"), /own/);
  await assert.rejects(
    within(new Promise(() => {}), "the answer", 20),
    /still waiting for the answer after 20 ms/,
  );
});

Deno.test("until: resolves once the check holds, else fails with the detail", async () => {
  let calls = 0;
  await until(() => ++calls === 3, "the third look");
  assert.equal(calls, 3);
  await assert.rejects(
    until(() => false, "a screen that never changes", { ms: 20, detail: () => "the screen" }),
    /still waiting for a screen that never changes after 20 ms:\nthe screen/,
  );
});
