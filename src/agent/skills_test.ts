import assert from "node:assert/strict";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { discoverSkills, parseSkillFrontMatter, skillsText } from "./skills.ts";
import { initialContext } from "./context.ts";

async function skill(dir: string, body: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "SKILL.md"), body);
}

Deno.test("skills: user skills first, then .system; incomplete front matter skipped", async () => {
  const home = await mkdtemp(join(tmpdir(), "skills-"));
  await skill(
    join(home, "skills", "zeta"),
    '---\nname: zeta\ndescription: "Last by name"\n---\nbody',
  );
  await skill(
    join(home, "skills", "nested", "alpha"),
    "---\nname: alpha\ndescription: First\n---\n",
  );
  await skill(join(home, "skills", "broken"), "---\nname: broken\n---\n");
  await skill(
    join(home, "skills", ".system", "docs"),
    "---\nname: docs\ndescription: Bundled\n---\n",
  );
  const skills = discoverSkills(home);
  assert.deepEqual(skills.map((s) => [s.name, s.description]), [["alpha", "First"], [
    "zeta",
    "Last by name",
  ], [
    "docs",
    "Bundled",
  ]]);
  const text = skillsText(skills);
  assert.match(text, /^<skills_instructions>\n## Skills\n/);
  assert.ok(
    text.includes(`- alpha: First (file: ${join(home, "skills", "nested", "alpha", "SKILL.md")})`),
  );
  assert.deepEqual(discoverSkills(join(home, "missing")), []);
  assert.deepEqual(parseSkillFrontMatter("no front matter"), {});
});

Deno.test("the skills section follows permissions in the developer message, only when there are skills", () => {
  const environment = { cwd: "/w", shell: "bash", currentDate: "2026-01-01", timezone: "Etc/UTC" };
  const base = { environment, sandboxMode: "read-only" as const, approvalPolicy: "never" as const };
  const without = initialContext(base)[0] as { content: Array<{ text: string }> };
  assert.equal(without.content.length, 1);
  const withSkills = initialContext({
    ...base,
    skills: [{ name: "a", description: "b", file: "/f" }],
  })[0] as {
    content: Array<{ text: string }>;
  };
  assert.equal(withSkills.content.length, 2);
  assert.match(withSkills.content[0].text, /^<permissions instructions>/);
  assert.match(withSkills.content[1].text, /^<skills_instructions>/);
});
