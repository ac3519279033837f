import { DuckDBInstance } from "@duckdb/node-api"
import { EVENTS_DDL, nativeSelect } from "./native.js"

/**
 * `node native-child.js DB FILE`: creates the events table in the new database file `DB` and
 * loads the export file `FILE` into it with DuckDB's `read_json`, default settings; prints
 * `{"rows":n}`. Its whole process is what the bench times, like an `mp` run.
 */
const [db, file] = process.argv.slice(2)
if (db === undefined || file === undefined) throw new Error("usage: native-child.js DB FILE")
const instance = await DuckDBInstance.create(db)
const conn = await instance.connect()
await conn.run(EVENTS_DDL)
const result = await conn.run(`INSERT INTO events ${nativeSelect(file)}`)
conn.closeSync()
instance.closeSync()
process.stdout.write(`${JSON.stringify({ rows: Number(result.rowsChanged) })}\n`)
