export { CanonicalJsonError, canonicalJsonText } from "./canonical-json.js"
export {
  ChecksumAccumulator,
  type EventIdentity,
  eventChecksum,
  eventKey,
  profileChecksum,
} from "./checksum.js"
export { type ManualClock, manualClock, type SimClock } from "./clock.js"
export { type Dataset, type DatasetOptions, makeDataset } from "./dataset.js"
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
export { cohorts, DATA_GROUP_ID, funnels, GROUP_KEY } from "./profiles.js"
export { Rng } from "./rng.js"
export {
  type EventTruthRequest,
  type ProfileTruthRequest,
  type SimStats,
  type Simulator,
  type SimulatorAuth,
  type SimulatorOptions,
  startSimulator,
} from "./server.js"
