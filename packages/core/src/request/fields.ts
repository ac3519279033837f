import { Effect, Schema } from "effect"
import { InvalidTableName } from "../errors.js"
import { isValidTimeZone } from "../pipeline/time-zone.js"
import { validateTableName } from "../storage/names.js"
import { isDay } from "./days.js"

/**
 * A request field that cannot be used as given. `field` is the name the caller knows it by
 * (`--from` on the command line, `from` in a JSON body); `reason` says what is wrong.
 */
export class InvalidField extends Schema.TaggedError<InvalidField>()("InvalidField", {
  field: Schema.String,
  reason: Schema.String,
}) {
  override get message() {
    return `${this.field} ${this.reason}`
  }
}

/** What a request failed with: a field, or the table's name. */
export type RequestError = InvalidField | InvalidTableName

/**
 * How the caller names each field, by its key (`{ lookbackDays: "--lookback" }`); a key not
 * listed is named as it is.
 */
export type FieldNames = Readonly<Record<string, string | undefined>>

/** Plain values as a command line or a JSON body gives them, by field key. */
export type RequestInput = Readonly<Record<string, unknown>>

/** The caller's name of a field. */
export const fieldName = (names: FieldNames | undefined, key: string): string => names?.[key] ?? key

const show = (value: unknown): string =>
  typeof value === "string" ? `"${value}"` : value === undefined ? "nothing" : JSON.stringify(value)

/** Fails with `InvalidField` for the field at `key`. */
export const invalid = (
  names: FieldNames | undefined,
  key: string,
  reason: string,
): Effect.Effect<never, InvalidField> =>
  Effect.fail(new InvalidField({ field: fieldName(names, key), reason }))

/** Rejects keys the request does not have (values left undefined count as absent). */
export const onlyKeys = (
  input: RequestInput,
  keys: ReadonlyArray<string>,
  what: string,
  names?: FieldNames,
): Effect.Effect<void, InvalidField> => {
  const extra = Object.keys(input).find((k) => input[k] !== undefined && !keys.includes(k))
  return extra === undefined ? Effect.void : invalid(names, extra, `is not an option of ${what}`)
}

/** A real calendar day, `YYYY-MM-DD`. */
export const dayField = (
  input: RequestInput,
  key: string,
  names?: FieldNames,
): Effect.Effect<string, InvalidField> => {
  const value = input[key]
  return isDay(value)
    ? Effect.succeed(value)
    : invalid(names, key, `must be a date YYYY-MM-DD, got ${show(value)}`)
}

/** A whole number within bounds, given as a number or as its digits; undefined when absent. */
export const wholeNumberField = (
  input: RequestInput,
  key: string,
  bounds: { readonly min: number; readonly max?: number },
  names?: FieldNames,
): Effect.Effect<number | undefined, InvalidField> => {
  const value = input[key]
  if (value === undefined) return Effect.succeed(undefined)
  const n =
    typeof value === "number"
      ? value
      : typeof value === "string" && /^\s*[-+]?\d+\s*$/.test(value)
        ? Number(value)
        : Number.NaN
  const { min, max } = bounds
  if (!Number.isSafeInteger(n) || n < min) {
    return invalid(names, key, `must be a whole number >= ${min}, got ${show(value)}`)
  }
  if (max !== undefined && n > max) return invalid(names, key, `is at most ${max}, got ${n}`)
  return Effect.succeed(n)
}

/** A string as given; undefined when absent. */
export const textField = (
  input: RequestInput,
  key: string,
  names?: FieldNames,
): Effect.Effect<string | undefined, InvalidField> => {
  const value = input[key]
  if (value === undefined || typeof value === "string") return Effect.succeed(value)
  return invalid(names, key, `must be a string, got ${show(value)}`)
}

/** A list of non-empty names; undefined when absent or empty. */
export const namesField = (
  input: RequestInput,
  key: string,
  names?: FieldNames,
): Effect.Effect<ReadonlyArray<string> | undefined, InvalidField> => {
  const value = input[key]
  if (value === undefined) return Effect.succeed(undefined)
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string" && v.trim() !== "")) {
    return invalid(names, key, `must be a list of non-empty names, got ${show(value)}`)
  }
  return Effect.succeed(value.length === 0 ? undefined : (value as ReadonlyArray<string>))
}

/** A yes/no switch: true, false, or absent (false). */
export const switchField = (
  input: RequestInput,
  key: string,
  names?: FieldNames,
): Effect.Effect<boolean, InvalidField> => {
  const value = input[key]
  if (value === undefined || value === false) return Effect.succeed(false)
  if (value === true) return Effect.succeed(true)
  return invalid(names, key, `must be true or false, got ${show(value)}`)
}

/** An IANA time zone the runtime knows (`UTC`, `America/Los_Angeles`); undefined when absent. */
export const timeZoneField = (
  input: RequestInput,
  key: string,
  names?: FieldNames,
): Effect.Effect<string | undefined, InvalidField> => {
  const value = input[key]
  if (value === undefined) return Effect.succeed(undefined)
  return typeof value === "string" && value !== "" && isValidTimeZone(value)
    ? Effect.succeed(value)
    : invalid(
        names,
        key,
        `must be an IANA time zone such as America/Los_Angeles, got ${show(value)}`,
      )
}

/** The table's name: storage's one rule for user tables. */
export const tableField = (
  input: RequestInput,
  key = "table",
): Effect.Effect<string, InvalidTableName> => {
  const value = input[key]
  if (typeof value === "string") return validateTableName(value)
  const reason = value === undefined ? "a table name is required" : "must be a string"
  return Effect.fail(new InvalidTableName({ name: value === undefined ? "" : show(value), reason }))
}

/** What to do when the table exists. */
export const writeModes = ["create", "append", "replace"] as const
export type WriteMode = (typeof writeModes)[number]

/**
 * The write mode, from `mode` (`create`, the default, `append` or `replace`) or from the
 * switches `append` and `replace`; they must agree.
 */
export const writeModeField = (
  input: RequestInput,
  names?: FieldNames,
): Effect.Effect<WriteMode, InvalidField> =>
  Effect.gen(function* () {
    const mode = input.mode
    if (mode !== undefined && !writeModes.includes(mode as WriteMode)) {
      return yield* invalid(
        names,
        "mode",
        `must be one of ${writeModes.join(", ")}, got ${show(mode)}`,
      )
    }
    const append = yield* switchField(input, "append", names)
    const replace = yield* switchField(input, "replace", names)
    if (append && replace) {
      return yield* invalid(names, "replace", `cannot be used with ${fieldName(names, "append")}`)
    }
    const switched: WriteMode | undefined = append ? "append" : replace ? "replace" : undefined
    if (switched !== undefined && mode !== undefined && mode !== switched) {
      return yield* invalid(names, switched, `cannot be used with ${fieldName(names, "mode")}`)
    }
    return (mode as WriteMode | undefined) ?? switched ?? "create"
  })
