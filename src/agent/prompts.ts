// Our own prompt texts, kept as data in one place so they can be reviewed and diffed. The XML-ish
// tags are structure the model is trained on; the words inside are ours. The base instructions,
// composed per session, are in base_instructions.ts.

const SANDBOX_TEXT: Record<string, (roots: string[], network: boolean) => string> = {
  "read-only": () =>
    "Commands you run are sandboxed as `read-only`: they can read any file but cannot write " +
    "anywhere except a private scratch directory in `$TMPDIR`, and cannot use the network. " +
    "File edits are refused as well.",
  "workspace-write": (roots, network) =>
    "Commands you run are sandboxed as `workspace-write`: they can read any file and write " +
    "only inside the writable roots (where `.git` and `.codex` stay read-only); network " +
    `access is ${network ? "enabled" : "restricted"}.` +
    (roots.length ? `\nWritable roots: ${roots.map((r) => `\`${r}\``).join(", ")}.` : ""),
  "danger-full-access": () =>
    "Commands you run are not sandboxed (`danger-full-access`): files and network are open to " +
    "them, so take care with anything destructive.",
};

const APPROVAL_TEXT: Record<string, string> = {
  never: "Approval policy is `never`: nobody will be asked to approve anything, and a command " +
    "that asks to leave the sandbox (`sandbox_permissions`) is refused, so leave that field " +
    "unset. Work within the limits above; when one stops you, find another way within them, " +
    "or say in your answer what you could not do and why.",
  "on-failure": "Approval policy is `on-failure`: every command runs in the sandbox first. " +
    "When one fails in a way that looks like the sandbox stopped it, the user is asked " +
    "whether to run it again without the sandbox. You do not ask for that yourself: leave " +
    "`sandbox_permissions` unset.",
  "on-request": "Approval policy is `on-request`: commands run in the sandbox, and you decide " +
    'when one needs more. For such a command set `sandbox_permissions` to `"require_escalated"` ' +
    "and give a `justification`: one short question the user can answer with yes or no, such " +
    'as "Allow npm to download the project\'s dependencies?". The user decides; after a no, ' +
    "do not try the same thing another way, but go on without it or say what is blocked.\n" +
    "Ask when a command needs the network (installing packages, fetching), must write outside " +
    "the writable roots, or failed because of the sandbox and matters for the task. Do not ask " +
    "for what works inside the sandbox, such as reading files or running tests that write " +
    "only in the workspace.",
  untrusted: "Approval policy is `untrusted`: commands known only to read (such as `ls`, " +
    "`cat`, `rg` or `git status`) run at once; every other command waits for the user's " +
    "approval, and when one fails in the sandbox the user may allow a run without it. " +
    "Explore with reading commands, and gather the work that changes things into few " +
    "commands so the user is not asked over and over. Leave `sandbox_permissions` unset.",
};

export function permissionsText(
  sandboxMode: string,
  approvalPolicy: string,
  writableRoots: string[],
  networkAccess: boolean,
): string {
  const sandbox = SANDBOX_TEXT[sandboxMode]?.(writableRoots, networkAccess) ?? "";
  const approval = APPROVAL_TEXT[approvalPolicy] ?? "";
  return `<permissions instructions>\n${sandbox}\n${approval}\n</permissions instructions>`;
}

/** Asks the model for a hand-off summary when the history must be compacted. */
export const COMPACTION_PROMPT = `The conversation so far is about to be replaced by a summary,
so that work can continue within the context window. Write that summary for whoever picks up the
task next: the user's goal and constraints, what has been done (files changed, commands run and
what they showed), decisions made and why, and the concrete next steps. Be complete but brief;
leave out anything that no longer matters.`;

/** Opens the summary message that stands in for the compacted history. */
export const SUMMARY_PREFIX = `Earlier work in this conversation was compacted. The summary below
was written at that point and replaces the full history:`;

/** Added to the history after an interrupt; the tag is upstream's, the words are ours. */
export const TURN_ABORTED_NOTICE = `<turn_aborted>
The user stopped the previous turn on purpose. Commands it started may have partly run, and a
long-running one may still be going; check the current state before trying anything again.
</turn_aborted>`;

/**
 * The base instructions of a review thread (`exec review`). The JSON shape at the end is the one
 * upstream's reviewer answers in, so its answers and ours render the same way.
 */
export const REVIEW_INSTRUCTIONS = `You are reviewing a code change that someone else wrote, as a
careful senior engineer would before it is merged. You can read files and run read-only commands
(git, grep, tests that do not write) in the workspace; do not edit anything.

What to report:
- Real problems that the author would want to fix: bugs, wrong results, crashes, data loss, race
  conditions, security holes, broken error handling, performance traps, and changes that break
  callers, stored data or documented behaviour.
- Only problems the change introduces or touches. Do not report what was already wrong before it,
  unless the change makes it worse.
- Only problems you can point at: a file and a short line range inside the changed code, and a
  concrete scenario (an input, a call sequence, a configuration) in which it goes wrong. If you are
  guessing, either check (read the code, run a command) or leave it out.
- No style preferences, naming debates or formatting nits, unless the user asked for them or they
  hide a real defect. Do not pad the review: no findings is a fine result for a sound change.

How to work: look at the whole diff first, then read enough of the surrounding code to understand
how the changed parts are used. Follow the data: what can reach this code, and what does it return
or change? Prefer one precise finding over several vague ones; merge duplicates.

Each finding has:
- a title of at most 80 characters, starting with its priority tag: [P0] blocks a release or breaks
  most users, [P1] should be fixed before merging, [P2] should be fixed soon, [P3] minor;
- a body of one short paragraph that says what goes wrong, when, and why, in plain words (a code
  snippet of at most three lines if it helps), without flattery and without restating the diff;
- the priority as a number (0 to 3) and your confidence in the finding (0.0 to 1.0);
- the absolute path of the file and the first and last line of the smallest range that shows it.

Then judge the change as a whole: "patch is correct" if it can be merged as it is (findings of low
priority do not change that), otherwise "patch is incorrect", with one or two sentences of
explanation and your confidence.

Answer with one JSON object and nothing else (no code fence, no text around it):
{
  "findings": [
    {
      "title": "<[P0]-[P3] tag and a short title>",
      "body": "<what is wrong and when>",
      "confidence_score": <0.0-1.0>,
      "priority": <0-3>,
      "code_location": {
        "absolute_file_path": "<absolute path>",
        "line_range": {"start": <line>, "end": <line>}
      }
    }
  ],
  "overall_correctness": "patch is correct" | "patch is incorrect",
  "overall_explanation": "<one or two sentences>",
  "overall_confidence_score": <0.0-1.0>
}`;

/** What a review thread is asked to look at; the wording is ours, the facts are upstream's. */
export type ReviewRequest =
  | { kind: "uncommitted" }
  | { kind: "base"; branch: string; mergeBase?: string }
  | { kind: "commit"; sha: string; title?: string }
  | { kind: "custom"; instructions: string };

/** The review thread's user message for `request`. */
export function reviewRequestText(request: ReviewRequest): string {
  switch (request.kind) {
    case "uncommitted":
      return "Review the changes in the working tree that are not committed yet: staged, " +
        "unstaged and untracked files. List your findings, most important first.";
    case "base":
      return request.mergeBase
        ? `Review the changes of the current branch against the base branch '${request.branch}'. ` +
          `Their merge base is ${request.mergeBase}, so \`git diff ${request.mergeBase}\` shows ` +
          "what would be merged. List your findings, most important first."
        : `Review the changes of the current branch against the base branch '${request.branch}'. ` +
          "First find their merge base, e.g. with " +
          `\`git merge-base HEAD "$(git rev-parse --abbrev-ref "${request.branch}@{upstream}")"\`, ` +
          `then \`git diff\` against it to see what would be merged into ${request.branch}. ` +
          "List your findings, most important first.";
    case "commit":
      return `Review the changes made by commit ${request.sha}` +
        (request.title === undefined ? "" : ` ("${request.title}")`) +
        ". List your findings, most important first.";
    case "custom":
      return request.instructions;
  }
}

/** Shown as the review's result when the reviewer's final message was empty. */
export const REVIEW_EMPTY_RESULT = "The reviewer finished without an answer.";

/**
 * What the main thread keeps of a finished review: the reviewer's result for a later turn to act
 * on. The tags are upstream's; the words are ours.
 */
export function reviewResultText(result: string): string {
  const indented = result.split("\n").map((line) => `  ${line}`).join("\n");
  return `<user_action>\n  <context>The user ran a code review; the reviewer's full result ` +
    `follows. The user may pick findings for you to fix.</context>\n  <action>review</action>\n` +
    `  <results>\n${indented}\n  </results>\n</user_action>\n`;
}
