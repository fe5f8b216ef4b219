// Test support of the protocol folder: the Open Responses specification's schemas, for tests
// that check what a server sends (they stay out of mod.ts, which every start loads).
export {
  SpecCompaction,
  SpecDeleted,
  SpecEvent,
  SpecItemList,
  SpecResponse,
  SpecSocketError,
} from "./open_responses.ts";
