import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { parseArgs } from "node:util"
import { Rng, startSimulator } from "@mixpanel-data/mixpanel-sim"
import { badInput } from "./bad-input.js"
import { cleanup } from "./cleanup.js"
import { crashes } from "./crashes.js"
import { credentials } from "./credentials.js"
import { faults } from "./faults.js"
import type { Part } from "./part.js"
import { requireMp } from "./process.js"
import { security } from "./security.js"
import { volume } from "./volume.js"

/**
 * `pnpm test:reliability`: the product's promises as figures. Each part runs its seeded
 * scenarios against the bundled CLI and the simulator, prints its table, and the run fails on
 * any scenario that does not end exactly as it must. Flags: `--only R2`, `--runs N` (per mode),
 * `--seed N`, `--volume N` (events in R7's day), `--scenarios N` (R1's fault plans), `--generated N` (R3's mutated lines).
 */
const { values } = parseArgs({
  options: {
    only: { type: "string" },
    runs: { type: "string", default: "5" },
    seed: { type: "string", default: "20261130" },
    volume: { type: "string", default: "500000" },
    scenarios: { type: "string", default: "200" },
    generated: { type: "string", default: "24" },
  },
})

const parts: ReadonlyArray<Part> = [
  faults(Number(values.scenarios)),
  crashes(Number(values.runs)),
  badInput(Number(values.generated)),
  security(),
  cleanup(),
  credentials(),
  volume(Number(values.volume)),
]
const chosen = values.only ? parts.filter((p) => values.only!.split(",").includes(p.id)) : parts

const markdown = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<unknown>>) =>
  [
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.map(String).join(" | ")} |`),
  ].join("\n")

requireMp()
const dir = mkdtempSync(join(tmpdir(), "mp-reliability-"))
const sim = await startSimulator({
  port: 0,
  seed: 7,
  startDate: "2024-04-01",
  days: 6,
  eventsPerDay: 25_000,
  profiles: 5_000,
  today: "2024-06-30",
  limits: false,
  prerender: true,
  edgeCases: true,
})
const { MP_DB: _db, MP_MEMORY_LIMIT: _limit, ...inherited } = process.env
const env: NodeJS.ProcessEnv = {
  ...inherited,
  NO_COLOR: "1",
  MP_CONFIG_DIR: dir,
  MP_API_URL: sim.url,
  MP_USERNAME: sim.auth.username,
  MP_SECRET: sim.auth.secret,
  MP_PROJECT_ID: String(sim.auth.projectId),
}
const summary: Array<ReadonlyArray<string | number>> = []
const failures: Array<string> = []
try {
  for (const part of chosen) {
    const started = performance.now()
    const result = await part.run(sim, env, join(dir, part.id), new Rng(Number(values.seed)))
    const seconds = Math.round((performance.now() - started) / 1000)
    console.log(`\n${part.id}: ${part.title} (${seconds} s)\n`)
    console.log(markdown(result.header, result.rows))
    const pct = result.total === 0 ? 0 : (100 * result.passed) / result.total
    summary.push([part.id, result.total, result.passed, `${pct.toFixed(1)}%`])
    failures.push(...result.failures.map((f) => `${part.id} ${f}`))
  }
} finally {
  await sim.close()
  rmSync(dir, { recursive: true, force: true })
}
console.log(`\n${markdown(["part", "scenarios", "exact", "share"], summary)}\n`)
for (const failure of failures) console.log(`MISS ${failure}`)
if (failures.length > 0 || summary.length === 0) process.exit(1)
