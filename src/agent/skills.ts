// Skills: folders under CODEX_HOME/skills with a SKILL.md whose front matter names and describes
// them. The model is told which exist and where, and reads a skill's file when a task calls for it.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";

export interface Skill {
  name: string;
  description: string;
  file: string;
}

/** `name:` and `description:` from a `---` front-matter block; quotes around values dropped. */
export function parseSkillFrontMatter(text: string): { name?: string; description?: string } {
  const block = /^---\r?\n([\s\S]*?)\r?\n---/.exec(text)?.[1];
  if (!block) return {};
  const fields: Record<string, string> = {};
  for (const line of block.split(/\r?\n/)) {
    const match = /^(name|description):\s*(.*)$/.exec(line.trim());
    if (match) fields[match[1]] = match[2].trim().replace(/^(["'])(.*)\1$/, "$2");
  }
  return { name: fields.name || undefined, description: fields.description || undefined };
}

function skillFiles(dir: string, out: string[] = []): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const entry of entries.sort()) {
    const path = join(dir, entry);
    if (entry === "SKILL.md") out.push(path);
    else if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) skillFiles(path, out);
  }
  return out;
}

/** The user's skills first, then the bundled ones under `skills/.system`, each sorted by name. */
export function discoverSkills(codexHome: string): Skill[] {
  const root = join(codexHome, "skills");
  if (!existsSync(root)) return [];
  const system = join(root, ".system");
  const load = (files: string[]) =>
    files.flatMap((file) => {
      const { name, description } = parseSkillFrontMatter(readFileSync(file, "utf8"));
      return name && description ? [{ name, description, file: resolve(file) }] : [];
    }).sort((a, b) => a.name.localeCompare(b.name) || a.file.localeCompare(b.file));
  const user = skillFiles(root).filter((file) => !file.startsWith(system + "/"));
  return [...load(user), ...load(skillFiles(system))];
}

export function skillsText(skills: Skill[]): string {
  return [
    "<skills_instructions>",
    "## Skills",
    "Skills are folders of instructions (and sometimes scripts) for particular kinds of work. " +
    "These are installed:",
    ...skills.map((skill) => `- ${skill.name}: ${skill.description} (file: ${skill.file})`),
    "When a task matches a skill, open its SKILL.md first and follow it; load only the skills " +
    "the task needs.",
    "</skills_instructions>",
  ].join("\n");
}
