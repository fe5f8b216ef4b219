import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { discoverSkills, skillsText } from "./skills.ts";
import { installSystemSkills } from "./system_skills.ts";

Deno.test("a fresh CODEX_HOME gets the bundled skills, listed after the user's", () => {
  const home = mkdtempSync(join(tmpdir(), "tscodex-skills-"));
  mkdirSync(join(home, "skills", "mine"), { recursive: true });
  writeFileSync(
    join(home, "skills", "mine", "SKILL.md"),
    "---\nname: mine\ndescription: my own\n---\n",
  );
  installSystemSkills(home, "1.0.0");
  const skills = discoverSkills(home);
  assert.deepEqual(skills.map((s) => s.name), [
    "mine",
    "openai-docs",
    "skill-creator",
    "skill-installer",
  ]);
  for (const skill of skills.slice(1)) {
    assert.ok(skill.file.startsWith(join(home, "skills", ".system")), skill.file);
    assert.ok(skill.description.length > 40, skill.description);
  }
  assert.match(skillsText(skills), /- skill-creator: .*\(file: .*skill-creator\/SKILL\.md\)/);
});

Deno.test("bundled skills are rewritten for a new version only, and upstream's are left alone", () => {
  const home = mkdtempSync(join(tmpdir(), "tscodex-skills-"));
  const file = join(home, "skills", ".system", "skill-creator", "SKILL.md");
  installSystemSkills(home, "1.0.0");
  writeFileSync(file, "---\nname: skill-creator\ndescription: edited\n---\n");
  installSystemSkills(home, "1.0.0");
  assert.match(readFileSync(file, "utf8"), /edited/, "same version: nothing rewritten");
  installSystemSkills(home, "1.1.0");
  assert.doesNotMatch(readFileSync(file, "utf8"), /edited/, "new version: rewritten");

  const shared = mkdtempSync(join(tmpdir(), "tscodex-skills-"));
  const system = join(shared, "skills", ".system");
  mkdirSync(system, { recursive: true });
  writeFileSync(join(system, ".codex-system-skills.marker"), "upstream\n");
  installSystemSkills(shared, "1.0.0");
  assert.equal(existsSync(join(system, "skill-creator")), false);
});

Deno.test("a CODEX_HOME that cannot take the skills: the failure names the file and the cause", () => {
  const home = mkdtempSync(join(tmpdir(), "tscodex-skills-"));
  // `skills` is a file, so no folder can be made under it.
  writeFileSync(join(home, "skills"), "in the way");
  const problem = installSystemSkills(home, "1.0.0");
  assert.match(
    problem ?? "",
    new RegExp(
      `^cannot write ${home}/skills/\\.system/[a-z-]+: a part of the path is not ` +
        "a folder \\(ENOTDIR\\); check the path \\(the system skills are left out\\)$",
    ),
  );
  assert.equal(
    installSystemSkills(mkdtempSync(join(tmpdir(), "tscodex-skills-")), "1.0.0"),
    undefined,
  );
});
