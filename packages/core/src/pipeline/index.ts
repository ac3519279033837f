/**
 * Source -> Storage for any source, with a per-day partition manifest (`_partitions`: table,
 * day, row count, commit time) beside the table's `_metadata` row:
 * - a new table and its metadata exist from the start, marked incomplete until every day is in;
 * - each day commits atomically with its row count (rows of the day's bounds in the project's
 *   zone replaced, or merged for an append); parts arrive in any order, commits are serialised;
 * - the same fetch again resumes the missing days; another fetch into the table is
 *   `TableExists` with a hint, as is the same fetch of a table already complete;
 * - `append` merges a range deduplicated, `replace` swaps in a rebuilt table in one transaction,
 *   `lookbackDays` refetches and replaces the last days.
 */
export {
  type FetchEventsOptions,
  type FetchEventsResult,
  fetchEvents,
} from "./fetch-events.js"
export {
  type FetchProfilesOptions,
  type FetchProfilesResult,
  fetchProfiles,
  importProfiles,
} from "./fetch-profiles.js"
export { type ImportEventsOptions, importEvents } from "./import-events.js"
export type { FetchMode } from "./plan.js"
export {
  recordedEventsRequest,
  recordedProfilesRequest,
  recordedTimeZone,
} from "./recorded.js"
export {
  DEFAULT_SYNC_LOOKBACK,
  type SyncOptions,
  type SyncOutcome,
  syncRange,
  syncTables,
} from "./sync.js"
export * from "./time-zone.js"
