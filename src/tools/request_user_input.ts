// request_user_input: the model asks the user one to three multiple-choice questions and waits.
// Only Plan mode allows it (as upstream 0.115.0 without `default_mode_request_user_input`); the
// mode is checked before the arguments, every question must offer options, and `isOther` is added
// so the user may answer in their own words. Who answers is injected: the REPL prompts, exec has
// nobody to ask. Error texts and the answer's JSON shape are upstream's.
import { z } from "zod";
import { describeArgumentIssues } from "./argument_errors.ts";
import { upstreamJsonSchema } from "./json_schema.ts";
import { defineFunctionTool, type ToolDef } from "./registry.ts";

const DESCRIPTION = "Ask the user up to three short multiple-choice questions and wait for the " +
  "answers. Works only while the session is in Plan mode; elsewhere it returns an error.";

const Option = z.object({
  label: z.string().describe("What the user picks, in a few words."),
  description: z.string().describe("One sentence on what picking this option means."),
});

const Question = z.object({
  id: z.string().describe("A short snake_case key the answer comes back under."),
  header: z.string().describe("A label of at most a dozen characters shown above it."),
  question: z.string().describe("The question itself, one sentence."),
  options: z.array(Option).describe(
    "Two or three exclusive choices, the recommended one first; the user can always answer " +
      "in their own words instead, so leave out a catch-all choice.",
  ),
});

/** The declared schema: every field required, as upstream declares it. */
const DeclaredArgs = z.object({
  questions: z.array(Question).describe("The questions, usually just one."),
});

/** What is accepted: options may be missing here and are then refused with upstream's text. */
const AcceptedArgs = z.object({
  questions: z.array(Question.extend({ options: z.array(Option).optional() })),
});

export interface UserInputQuestion {
  id: string;
  header: string;
  question: string;
  /** Always true: the user may type an answer of their own instead of picking an option. */
  isOther: boolean;
  options: Array<{ label: string; description: string }>;
}

/** The answers by question id; each holds the picked label or the user's own words. */
export type UserInputAnswers = Record<string, { answers: string[] }>;

export interface UserInputRequest {
  callId: string;
  questions: UserInputQuestion[];
}

/** Asks the user; undefined means they dismissed the questions. */
export type UserInputHandler = (
  request: UserInputRequest,
  signal: AbortSignal,
) => Promise<UserInputAnswers | undefined>;

export interface RequestUserInputOptions {
  /** The session's collaboration mode as the user knows it ("Default", "Plan"). */
  mode: () => { name: string; allowsUserInput: boolean };
  /** Absent when nobody can answer (exec). */
  handler?: UserInputHandler;
}

export const USER_INPUT_CANCELLED = "request_user_input was cancelled before receiving a response";
export const OPTIONS_REQUIRED = "request_user_input requires non-empty options for every question";
export const userInputUnavailable = (mode: string) =>
  `request_user_input is unavailable in ${mode} mode`;

export function requestUserInputTool(options: RequestUserInputOptions): ToolDef {
  return defineFunctionTool({
    kind: "function",
    name: "request_user_input",
    description: DESCRIPTION,
    // The mode decides before the arguments are looked at, so they are parsed here.
    parameters: z.unknown(),
    jsonSchema: upstreamJsonSchema(DeclaredArgs),
    async execute(raw, ctx) {
      const mode = options.mode();
      if (!mode.allowsUserInput) return userInputUnavailable(mode.name);
      const parsed = AcceptedArgs.safeParse(raw, { reportInput: true });
      if (!parsed.success) {
        return `failed to parse function arguments: ${describeArgumentIssues(parsed.error)}`;
      }
      const { questions } = parsed.data;
      if (questions.some((q) => !q.options || q.options.length === 0)) return OPTIONS_REQUIRED;
      if (!options.handler) return USER_INPUT_CANCELLED;
      const answers = await options.handler({
        callId: ctx.callId,
        questions: questions.map((q) => ({ ...q, isOther: true, options: q.options ?? [] })),
      }, ctx.signal);
      if (!answers) return USER_INPUT_CANCELLED;
      return JSON.stringify({ answers });
    },
  });
}
