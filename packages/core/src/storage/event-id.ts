import { type DuckDBConnection, DuckDBScalarFunction, VARCHAR } from "@duckdb/node-api"
import { insertIdOf, isObject, type TimeUnit } from "../lines/event-lines.js"
import { literal } from "./names.js"

/**
 * `mp_event_insert_id(event, properties, time_unit, time_zone)`: the insert id of an export
 * line (its event name and its properties as JSON text), by the
 * one rule of `lines/` (its own usable `$insert_id`, a number as its decimal text; else the
 * derived id). Registered on the writer so that a load of lines as they came (a user's file
 * read in place) gives every line the id every other path gives it. DuckDB calls it only for
 * the few lines whose id SQL cannot settle alone (see `insertIdSql`); the calls run on the JS
 * thread, in vectors.
 */
export const EVENT_INSERT_ID_FUNCTION = "mp_event_insert_id"

/** The id of one line; null when its properties are not a JSON object (the load refuses it). */
const insertIdOfLine = (
  event: unknown,
  text: string,
  timeUnit: TimeUnit,
  zone: string,
): string | null => {
  let properties: unknown
  try {
    properties = JSON.parse(text)
  } catch {
    return null
  }
  if (!isObject(properties)) return null
  return insertIdOf(
    { event: event ?? undefined, properties },
    { timeUnit, timeZone: zone === "" ? undefined : zone },
  )
}

const timeUnitOf = (text: unknown): TimeUnit => (text === "s" || text === "ms" ? text : "auto")

export const registerEventInsertId = (conn: DuckDBConnection): void => {
  conn.registerScalarFunction(
    DuckDBScalarFunction.create({
      name: EVENT_INSERT_ID_FUNCTION,
      returnType: VARCHAR,
      parameterTypes: [VARCHAR, VARCHAR, VARCHAR, VARCHAR],
      mainFunction: (_info, input, output) => {
        const events = input.getColumnVector(0)
        const properties = input.getColumnVector(1)
        const units = input.getColumnVector(2)
        const zones = input.getColumnVector(3)
        for (let i = 0; i < input.rowCount; i++) {
          const text = properties.getItem(i)
          output.setItem(
            i,
            typeof text === "string"
              ? insertIdOfLine(
                  events.getItem(i),
                  text,
                  timeUnitOf(units.getItem(i)),
                  String(zones.getItem(i) ?? ""),
                )
              : null,
          )
        }
        output.flush()
      },
    }),
  )
}

/**
 * The insert id of a line (its `properties` JSON and `event` name) whose own id text is `given`
 * (`json_extract_string`):
 * a plain non-empty string that cannot be a number, a boolean or a nested value is the id
 * itself (nearly every line); anything else goes to the one rule in JS.
 */
export const insertIdSql = (
  properties: string,
  event: string,
  given: string,
  timeUnit: TimeUnit,
  timeZone: string | undefined,
): string => `CASE WHEN ${given} IS NULL OR ${given} = '' OR ${given} IN ('true', 'false')
    OR left(${given}, 1) IN ('{', '[') OR TRY_CAST(${given} AS DOUBLE) IS NOT NULL
  THEN ${EVENT_INSERT_ID_FUNCTION}(${event}, ${properties}::VARCHAR, ${literal(timeUnit)}, ${literal(timeZone ?? "")})
  ELSE ${given} END`
