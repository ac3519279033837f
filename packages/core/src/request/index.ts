/**
 * The request layer: every front end's flags or JSON read into checked requests, by one set of
 * rules (days, ranges, table names, write modes, time zones), failing with typed errors that
 * name the field and the reason.
 */
export * from "./days.js"
export * from "./fetch.js"
export {
  type FieldNames,
  InvalidField,
  type RequestError,
  type RequestInput,
  type WriteMode,
  writeModes,
} from "./fields.js"
export { parseVerify, type VerifySpec } from "./verify.js"
