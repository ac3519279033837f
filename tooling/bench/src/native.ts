import { fileURLToPath } from "node:url"
import { runNode } from "./run.js"

/**
 * DuckDB's own reader, the yardstick: a fresh process that creates the events table and fills
 * it with one `INSERT … SELECT … FROM read_json(…)` over the same export file, with DuckDB's
 * default settings. What any loader of Mixpanel export files written on DuckDB would start from.
 */

export const EVENTS_DDL = `CREATE TABLE events (
  event_name VARCHAR NOT NULL,
  event_time TIMESTAMP NOT NULL,
  distinct_id VARCHAR NOT NULL,
  insert_id VARCHAR NOT NULL,
  properties JSON
)`

/** The events table's columns from export lines; `time` in seconds or milliseconds. */
export const nativeSelect = (file: string) => `SELECT
    event AS event_name,
    make_timestamp(CAST(CASE WHEN t > 100000000000 THEN t * 1000 ELSE t * 1000000 END AS BIGINT)) AS event_time,
    json_extract_string(properties, '$.distinct_id') AS distinct_id,
    coalesce(json_extract_string(properties, '$."$insert_id"'), '') AS insert_id,
    properties
  FROM (
    SELECT event, properties, CAST(json_extract_string(properties, '$.time') AS DOUBLE) AS t
    FROM read_json('${file.replaceAll("'", "''")}', format = 'newline_delimited',
                   columns = {event: 'VARCHAR', properties: 'JSON'}))`

const CHILD = fileURLToPath(new URL("./native-child.js", import.meta.url))
const COPY_CHILD = fileURLToPath(new URL("./native-copy-child.js", import.meta.url))

export interface NativeResult {
  readonly rows: number
  /** Wall time of the whole process. */
  readonly seconds: number
  readonly peakMb: number
}

/** Loads `file` into a new database `db` in a child process (see native-child.ts). */
export const runNative = async (db: string, file: string): Promise<NativeResult> => {
  const run = await runNode(CHILD, [db, file])
  const { rows } = JSON.parse(run.stdout) as { rows: number }
  return { rows, seconds: run.seconds, peakMb: run.peakMb }
}

/** Writes the events table of `db` to `out` with DuckDB's `COPY` in a child process. */
export const runNativeCopy = async (
  db: string,
  out: string,
  format: "json" | "csv",
): Promise<NativeResult> => {
  const run = await runNode(COPY_CHILD, [db, out, format])
  const { rows } = JSON.parse(run.stdout) as { rows: number }
  return { rows, seconds: run.seconds, peakMb: run.peakMb }
}
