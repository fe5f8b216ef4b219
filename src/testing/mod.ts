// Test support every folder's tests share. Only tests (and other folders' testing.ts) import it.
export { DEADLINE_MS, within } from "./deadline.ts";
export { git, gitWorkspace, tempDir } from "./workspace.ts";
