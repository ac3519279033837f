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
export { hasInsertId } from "./insert-id-scan.js"
export { LineSplitter } from "./line-splitter.js"
