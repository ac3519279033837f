export {
  derivedInsertIdOf,
  exportLineLayout,
  givenInsertId,
  insertIdOf,
  isObject,
  MS_THRESHOLD,
  type TimeOptions,
  type TimeUnit,
  trueTimeMs,
} from "./event-lines.js"
export { LineSplitter } from "./line-splitter.js"
