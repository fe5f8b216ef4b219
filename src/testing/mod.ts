// Test support every folder's tests share. Only tests (and other folders' testing.ts) import it.
export { DEADLINE_MS, until, within } from "./deadline.ts";
export { type FifoWatch, makeFifo, watchFifo, writeFifo } from "./fifo.ts";
export { type Skip, skipWhen } from "./skip.ts";
export { git, gitWorkspace, tempDir } from "./workspace.ts";
export { fillDisk, NO_TMPFS, withTmpfs } from "./tmpfs.ts";
