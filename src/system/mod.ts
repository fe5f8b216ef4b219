export { git, type GitFacts, gitFacts, prefetchGitFacts } from "./git.ts";
export { localTime, pad2, systemTimeZone } from "./time.ts";
