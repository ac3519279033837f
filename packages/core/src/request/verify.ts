import { Effect } from "effect"
import {
  dayField,
  type FieldNames,
  onlyKeys,
  type RequestError,
  type RequestInput,
  tableField,
} from "./fields.js"

/** A verify of an events table, checked: which table, and which of its days. */
export interface VerifySpec {
  readonly table: string
  /** Default: the table's first day. */
  readonly from?: string
  /** Default: the table's last day. */
  readonly to?: string
  /** Refetch the days that differ, then compare them again. */
  readonly repair: boolean
}

/** Reads a verify from plain values: `table`, `from`, `to` (`YYYY-MM-DD`), `repair`. */
export const parseVerify = (
  input: RequestInput,
  names?: FieldNames,
): Effect.Effect<VerifySpec, RequestError> =>
  Effect.gen(function* () {
    yield* onlyKeys(input, ["table", "from", "to", "repair"], "a verify", names)
    const table = yield* tableField(input)
    const from = input.from === undefined ? undefined : yield* dayField(input, "from", names)
    const to = input.to === undefined ? undefined : yield* dayField(input, "to", names)
    return {
      table,
      ...(from !== undefined ? { from } : {}),
      ...(to !== undefined ? { to } : {}),
      repair: input.repair === true,
    }
  })
