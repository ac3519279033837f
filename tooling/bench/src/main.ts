import { type BenchModule, type BenchResult, registry } from "./registry.js"

/**
 * Runs every registered benchmark (or those named in `BENCH_ONLY`, comma-separated), prints a
 * table per module, then as the last line one JSON object merging every module's keys.
 */
const events = Number(process.env.BENCH_EVENTS ?? 1_000_000)
const only = process.env.BENCH_ONLY?.split(",").map((s) => s.trim())
const log = (line: string) => process.stderr.write(`${line}\n`)

const printTable = (title: string, rows: BenchResult["rows"]) => {
  const width = Math.max(title.length, ...rows.map(([label]) => label.length))
  console.log(`\n${title}`)
  console.log("-".repeat(width + 20))
  for (const [label, value] of rows) {
    const shown =
      typeof value === "number"
        ? value.toLocaleString("en-US", { maximumFractionDigits: 3 })
        : value
    console.log(`${label.padEnd(width)}  ${shown}`)
  }
}

const selected = (module: BenchModule) => only === undefined || only.includes(module.name)

const keys: Record<string, number> = {}
let failed = false
for (const module of registry.filter(selected)) {
  log(`bench: ${module.name}`)
  try {
    const result = await module.run({ events, log })
    printTable(module.name, result.rows)
    Object.assign(keys, result.keys)
  } catch (error) {
    failed = true
    console.log(`\n${module.name}: failed: ${error instanceof Error ? error.stack : String(error)}`)
  }
}
console.log(JSON.stringify(keys))
if (failed) process.exitCode = 1
