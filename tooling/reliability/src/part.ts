import type { Simulator } from "@mixpanel-data/mixpanel-sim"

/** A seeded random number in [0, 1). */
export type Rng = () => number

/** mulberry32: the same runs for the same seed. */
export const seeded = (seed: number): Rng => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export interface PartResult {
  readonly header: ReadonlyArray<string>
  readonly rows: ReadonlyArray<ReadonlyArray<string | number>>
  /** Scenarios run, and how many ended exactly as they must. */
  readonly total: number
  readonly passed: number
  readonly failures: ReadonlyArray<string>
}

export interface Part {
  readonly id: string
  readonly title: string
  readonly run: (
    sim: Simulator,
    env: NodeJS.ProcessEnv,
    dir: string,
    rng: Rng,
  ) => Promise<PartResult>
}
