import { DuckDBInstance } from "@duckdb/node-api"

/**
 * `node native-copy-child.js DB OUT FORMAT`: opens the database file `DB` read-only and writes
 * its events table to `OUT` with DuckDB's own `COPY (SELECT * FROM events) TO … (FORMAT …)`,
 * default settings; prints `{"rows":n}`. Its whole process is what the bench times, like an
 * `mp` run.
 */
const [db, out, format] = process.argv.slice(2)
if (db === undefined || out === undefined || (format !== "json" && format !== "csv")) {
  throw new Error("usage: native-copy-child.js DB OUT json|csv")
}
const instance = await DuckDBInstance.create(db, { access_mode: "READ_ONLY" })
const conn = await instance.connect()
const result = await conn.run(
  `COPY (SELECT * FROM events) TO '${out.replaceAll("'", "''")}' (FORMAT ${format})`,
)
conn.closeSync()
instance.closeSync()
process.stdout.write(`${JSON.stringify({ rows: Number(result.rowsChanged) })}\n`)
