export * from "./config.js"
export { dayRange, daysOf } from "./days.js"
export type { Cohort, Discovery, EventCountType, Funnel, TopEvent } from "./discovery.js"
export { engageForm } from "./engage.js"
export { ExportLines, IncompleteBody } from "./export-lines.js"
export { LineSplitter } from "./line-splitter.js"
export { exportLayout, type MixpanelSource, makeMixpanelSource } from "./MixpanelSource.js"
export { makeScheduler, type Scheduler, type SchedulerOptions, Transient } from "./scheduler.js"
export { localToUtcMs, parseNaiveDateTime, zoneOffsetMs } from "./time-zone.js"
export {
  derivedInsertIdOf,
  type TransformOptions,
  toEventRecord,
  toProfileRecord,
  trueTimeMs,
} from "./transform.js"
