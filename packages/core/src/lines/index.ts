export {
  DERIVED_INSERT_ID,
  derivedInsertIdOf,
  EventLines,
  type EventLinesOptions,
  givenInsertId,
  LineProblem,
  MS_THRESHOLD,
  preview,
  type TimeOptions,
  type TimeUnit,
  trueTimeMs,
} from "./event-lines.js"
export { FirstSeen } from "./first-seen.js"
export { hasInsertId, LineKeys, scanKeys } from "./key-scan.js"
export { LineSplitter } from "./line-splitter.js"
