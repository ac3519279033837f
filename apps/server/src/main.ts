import { parseOptions } from "./options.js"

declare const __MP_SERVER_VERSION__: string
const version = typeof __MP_SERVER_VERSION__ === "string" ? __MP_SERVER_VERSION__ : "0.0.0-dev"

const parsed = parseOptions(process.argv.slice(2), process.env, version)

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
    serve(parsed.options, version)
  }
}
