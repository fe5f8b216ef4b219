// The skills tscodex ships with. Like upstream Codex, a session makes sure they exist under
// CODEX_HOME/skills/.system before it lists the skills to the model, so a fresh CODEX_HOME already
// offers them. The texts are ours. A CODEX_HOME whose `.system` folder upstream Codex filled (its
// marker file is there) is left alone: both programs can share one CODEX_HOME without rewriting
// each other's files.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FileError } from "../platform/mod.ts";

/** Written last; its content is the version that wrote the files. */
const MARKER = ".tscodex-system-skills";
/** Upstream Codex's marker: its own system skills are installed here. */
const UPSTREAM_MARKER = ".codex-system-skills.marker";

const SKILLS: Record<string, string> = {
  "openai-docs": `---
name: openai-docs
description: Answer questions about building on OpenAI's platform (APIs, SDKs, models, pricing limits) from the current official documentation, with links to the pages used.
---

# OpenAI documentation

Use this skill when the user asks how an OpenAI API, SDK or model behaves, which model suits a job,
or how to migrate code to a newer API.

1. Work out the exact question: which API (Responses, Chat Completions, Realtime, Files, …), which
   language or SDK, which model.
2. Look it up in the official documentation rather than answering from memory: search with the
   web search tool and keep to platform.openai.com, developers.openai.com, help.openai.com,
   cookbook.openai.com and github.com/openai. Model names, parameters and limits change often.
3. Answer with the smallest working example that fits the user's code, and link every page you
   relied on. Say so plainly when the documentation does not settle the question.
4. When changing the user's code, keep their SDK and language; point out parameters that are
   deprecated or that the chosen model does not accept.
`,
  "skill-creator": `---
name: skill-creator
description: Write a new skill or improve an existing one, so that later sessions can reuse a workflow, domain knowledge or helper scripts.
---

# Creating a skill

A skill is a folder holding a \`SKILL.md\` and, when useful, helper files. Sessions list every
skill's name and description; the body of \`SKILL.md\` is read only when a task calls for it.

## Where
- Personal skills: \`$CODEX_HOME/skills/<name>/\` (CODEX_HOME defaults to \`~/.codex\`).
- Leave \`$CODEX_HOME/skills/.system/\` alone: it is rewritten by the program.

## SKILL.md
Start with front matter holding exactly these two fields:

\`\`\`
---
name: short-name-with-dashes
description: One sentence saying what the skill does and when to use it.
---
\`\`\`

The description decides whether the skill gets picked, so name the situations it is for. The body
then gives the steps in order, as commands and checks rather than background. Keep it short:
everything in it costs context each time it is read.

## Helper files
- \`scripts/\` for steps that must be exact or are long to type (make them executable and say in
  SKILL.md how to run them).
- \`references/\` for long material the body only points to.
- \`assets/\` for templates and files copied into the user's work.

## Steps
1. Ask for, or infer from the conversation, two or three concrete tasks the skill must handle.
2. Create the folder and \`SKILL.md\`, then any scripts; run each script once.
3. Check the front matter parses (\`name\` and \`description\` present, no tabs) and that the body
   names every helper file it relies on.
4. Tell the user where the skill lives; it is listed from the next session on.
`,
  "skill-installer": `---
name: skill-installer
description: Install a skill into $CODEX_HOME/skills from a local folder or a git repository, or list the skills a repository offers.
---

# Installing a skill

Skills live in \`$CODEX_HOME/skills/<name>/\` (CODEX_HOME defaults to \`~/.codex\`); each has a
\`SKILL.md\` with \`name\` and \`description\` in its front matter.

## From a local folder
1. Check the folder has a \`SKILL.md\` with both fields.
2. Copy it: \`cp -R <folder> "\${CODEX_HOME:-$HOME/.codex}/skills/<name>"\`.

## From a git repository
1. Clone shallowly into a scratch folder:
   \`git clone --depth 1 <url> "$(mktemp -d)/repo"\` (add \`--branch <ref>\` when asked for one).
2. List what it offers: \`find <clone> -name SKILL.md\`; show each skill's name and description.
3. Copy the chosen skill folder as above. Never overwrite an existing skill without asking.
4. Read any scripts the skill ships before telling the user it is ready, and mention what they do.

Network access and writes outside the work folder may need the user's approval; ask before you
start. The new skill is listed from the next session on.
`,
};

/**
 * Makes sure the bundled skills exist under `<codexHome>/skills/.system`, rewriting them when
 * another version wrote them. Failing to write is not fatal — the session goes on without them —
 * but not silent either: the failure is returned, naming the file and the cause, for a warning.
 */
export function installSystemSkills(codexHome: string, version: string): string | undefined {
  const dir = join(codexHome, "skills", ".system");
  const marker = join(dir, MARKER);
  if (existsSync(join(dir, UPSTREAM_MARKER))) return undefined;
  try {
    if (readFileSync(marker, "utf8") === version) return undefined;
  } catch {
    // Not installed yet.
  }
  // The file being written, for the error.
  let file = dir;
  try {
    for (const [name, text] of Object.entries(SKILLS)) {
      file = join(dir, name);
      mkdirSync(file, { recursive: true });
      file = join(file, "SKILL.md");
      try {
        writeFileSync(`${file}.tmp`, text);
        renameSync(`${file}.tmp`, file);
      } finally {
        rmSync(`${file}.tmp`, { force: true });
      }
    }
    file = marker;
    writeFileSync(marker, version);
  } catch (err) {
    return `${new FileError("write", file, err).message} (the system skills are left out)`;
  }
  return undefined;
}
