import { spawnSync } from "node:child_process"
import type { BenchOptions, BenchResult } from "./registry.js"
import { MP, median, requireMp } from "./run.js"

/** p5: `mp --version` cold start over `node -e 0`, medians of interleaved runs. */
export const name = "p5_start"

const RUNS = 21

/** Timed with `spawnSync` and no wrapper: a start-up of tens of milliseconds leaves no room. */
const timeOnce = (args: ReadonlyArray<string>): number => {
  const started = process.hrtime.bigint()
  const r = spawnSync(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] })
  const elapsed = Number(process.hrtime.bigint() - started) / 1e6
  if (r.status !== 0) throw new Error(`node ${args.join(" ")} exited ${r.status}: ${r.stderr}`)
  return elapsed
}

export const run = async ({ log }: BenchOptions): Promise<BenchResult> => {
  requireMp()
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
