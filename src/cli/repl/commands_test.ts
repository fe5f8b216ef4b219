import assert from "node:assert/strict";
import { COMMANDS, findCommand, helpText } from "./commands.ts";

Deno.test("/help lists every command of the table, with its aliases and arguments, in one column", () => {
  const lines = helpText(COMMANDS).split("\n").slice(1);
  assert.equal(lines.length, COMMANDS.length);
  for (const [i, command] of COMMANDS.entries()) {
    for (const name of command.names) assert.ok(lines[i].includes(name), lines[i]);
    if (command.args) assert.ok(lines[i].includes(command.args), lines[i]);
    assert.ok(lines[i].endsWith(command.summary), lines[i]);
  }
  const column = new Set(lines.map((line, i) => line.indexOf(COMMANDS[i].summary)));
  assert.equal(column.size, 1, "the summaries start in one column");
  assert.equal(findCommand("/quit"), findCommand("/exit"), "an alias finds its command");
  assert.equal(findCommand("/nope"), undefined);
});
