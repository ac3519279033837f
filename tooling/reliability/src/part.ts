import type { Rng, Simulator } from "@mixpanel-data/mixpanel-sim"

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
