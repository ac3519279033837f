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
export * from "./time-zone.js"
