export * from "./config.js"
export type { Cohort, Discovery, EventCountType, Funnel, TopEvent } from "./discovery.js"
export { engageForm } from "./engage.js"
export { EVENTS_PER_QUERY } from "./event-counts.js"
export { ExportLines, IncompleteBody } from "./export-lines.js"
export type {
  Live,
  LiveEventPropertiesQuery,
  LiveEventsQuery,
  LiveFrequencyQuery,
  LiveFunnelQuery,
  LiveNumericQuery,
  LiveRange,
  LiveRetentionQuery,
  LiveSegmentationQuery,
  LiveSumQuery,
} from "./live.js"
export {
  bucketKey,
  type FrequencyRequest,
  type FunnelRequest,
  type InsightsAnswer,
  type LiveFunnelAnswer,
  type LiveFunnelStep,
  normalizeFrequency,
  normalizeFunnel,
  normalizeInsights,
  normalizeRetention,
  normalizeSeries,
  normalizeSum,
  type RetentionRequest,
  type SegmentationSumAnswer,
  type SeriesRequest,
} from "./live-answers.js"
export { exportLayout, type MixpanelSource, makeMixpanelSource } from "./MixpanelSource.js"
export { makeScheduler, type Scheduler, type SchedulerOptions, Transient } from "./scheduler.js"
export { localToUtcMs, parseNaiveDateTime, zoneOffsetMs } from "./time-zone.js"
export { type TransformOptions, toEventRecord } from "./transform.js"
