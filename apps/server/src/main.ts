import { parseOptions } from "./options.js"

declare const __MP_SERVER_VERSION__: string
const version = typeof __MP_SERVER_VERSION__ === "string" ? __MP_SERVER_VERSION__ : "0.0.0-dev"

const parsed = parseOptions(process.argv.slice(2), process.env, version)

/**
 * A test switch, deliberately left out of the help and the documentation: with exactly "1",
 * statements skip the SQL guard and meet only the database's lockdown, so tests can show that
 * wall holds on its own. Never for a served database.
 */
const UNGUARDED = "MP_SERVER_UNSAFE_NO_SQL_GUARD"

switch (parsed._tag) {
  case "Help":
  case "Version":
    process.stdout.write(parsed.text.endsWith("\n") ? parsed.text : `${parsed.text}\n`)
    process.exit(0)
    break
  case "Invalid":
    process.stderr.write(`mp-server: ${parsed.message}\n`)
    process.exit(3)
    break
  case "Serve": {
    // Effect, DuckDB and the docs bundle load only when there is something to serve.
    const { serve } = await import("./serve.js")
    const sqlGuard = process.env[UNGUARDED] !== "1"
    if (!sqlGuard) {
      process.stderr.write(
        `mp-server: WARNING: ${UNGUARDED}=1: the SQL guard is OFF, every statement reaches the database unchecked (only its lockdown stands). For tests only: never serve data like this.\n`,
      )
    }
    serve(parsed.options, version, { sqlGuard })
  }
}
