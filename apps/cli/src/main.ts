declare const __MP_VERSION__: string

// `mp --version` answers before anything else loads: cold start is most of its cost.
const args = process.argv.slice(2)
if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
  process.stdout.write(`${__MP_VERSION__}\n`)
} else {
  await import("./cli.js")
}
