import { spawnSync } from "node:child_process"
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"
import type { BenchOptions, BenchResult } from "./registry.js"

/** p5: `mp --version` cold start over `node -e 0`, medians of interleaved runs. */
export const name = "p5_start"

const MP = fileURLToPath(new URL("../../../apps/cli/dist/mp.js", import.meta.url))
const RUNS = 21

const timeOnce = (args: ReadonlyArray<string>): number => {
  const started = process.hrtime.bigint()
  const r = spawnSync(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] })
  const elapsed = Number(process.hrtime.bigint() - started) / 1e6
  if (r.status !== 0) throw new Error(`node ${args.join(" ")} exited ${r.status}: ${r.stderr}`)
  return elapsed
}

const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

export const run = async ({ log }: BenchOptions): Promise<BenchResult> => {
  if (!existsSync(MP)) throw new Error(`${MP} is missing: run "pnpm build" first`)
  log(`p5: ${RUNS} runs each of mp --version and node -e 0`)
  timeOnce([MP, "--version"])
  timeOnce(["-e", "0"])
  const mp: number[] = []
  const node: number[] = []
  for (let i = 0; i < RUNS; i++) {
    mp.push(timeOnce([MP, "--version"]))
    node.push(timeOnce(["-e", "0"]))
  }
  const ratio = median(mp) / median(node)
  return {
    rows: [
      ["mp --version median (ms)", median(mp)],
      ["node -e 0 median (ms)", median(node)],
      ["p5_start_vs_node (goal <= 1.5)", ratio],
    ],
    keys: { p5_start_vs_node: ratio },
  }
}
