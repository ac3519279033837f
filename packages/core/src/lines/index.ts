export {
  copiesPathFor,
  DERIVED_INSERT_ID,
  derivedInsertIdOf,
  EventLines,
  type EventLinesOptions,
  exportLineLayout,
  givenInsertId,
  jsonlPartOf,
  LineProblem,
  MS_THRESHOLD,
  preview,
  type SpooledLines,
  type TimeOptions,
  type TimeUnit,
  trueTimeMs,
} from "./event-lines.js"
export { FirstSeen } from "./first-seen.js"
export { LineKeys, scanKeys } from "./key-scan.js"
export { LineSplitter } from "./line-splitter.js"
