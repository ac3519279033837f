export {
  Buckets,
  bucketKey,
  isoWithOffset,
  ordinalOf,
  type Unit,
} from "./buckets.js"
export { CanonicalJsonError, canonicalJsonText } from "./canonical-json.js"
export {
  ChecksumAccumulator,
  type EventIdentity,
  eventChecksum,
  eventKey,
  profileChecksum,
} from "./checksum.js"
export { type ManualClock, manualClock, type SimClock } from "./clock.js"
export { type Dataset, type DatasetOptions, type LateEvents, makeDataset } from "./dataset.js"
export { dayEvents, type SimEvent } from "./day-events.js"
export { simDerivedInsertId, simUsableInsertId } from "./derived-id.js"
export {
  type EventQuery,
  eventTruth,
  exportChunks,
  formatLine,
  queryEvents,
  readTimeMs,
  servedPropertiesJson,
  truthInsertId,
} from "./events.js"
export {
  type Fault,
  type FaultKind,
  type FaultMatch,
  type FaultPlan,
  type FaultRule,
  type FaultSpec,
  faultKinds,
  faultPresets,
  transientFaultKinds,
} from "./faults.js"
export { type InsightsBookmark, insightsBookmarks, insightsRange } from "./insights.js"
export type { LateEventInput } from "./late-events.js"
export {
  type ExportLimits,
  type FamilyStats,
  type LimitsOption,
  mixpanelLimits,
  type QueryLimits,
} from "./limits.js"
export {
  DEFAULT_PRERENDER_MAX_BYTES,
  PRERENDER_GZIP_LEVEL,
  type PrerenderStats,
} from "./prerender.js"
export {
  cohorts,
  DATA_GROUP_ID,
  type FunnelDefinition,
  funnelDefinitions,
  funnels,
  GROUP_KEY,
} from "./profiles.js"
export { numericBuckets } from "./query-reports.js"
export { Rng } from "./rng.js"
export {
  type EventTruthRequest,
  type ProfileTruthRequest,
  type QueryShape,
  type SimStats,
  type Simulator,
  type SimulatorAuth,
  type SimulatorOptions,
  startSimulator,
} from "./server.js"
