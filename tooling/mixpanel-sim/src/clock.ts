/** The simulator's clock: real time, optionally running `speed` times faster. */
export interface SimClock {
  readonly speed: number
  /** Simulated epoch milliseconds. */
  now(): number
  /** Real milliseconds a simulated duration takes. */
  toRealMs(simMs: number): number
}

export const makeClock = (speed = 1): SimClock => {
  if (!(speed > 0) || !Number.isFinite(speed)) throw new Error(`invalid clockSpeed: ${speed}`)
  const epoch = Date.now()
  const t0 = performance.now()
  return {
    speed,
    now: () => epoch + (performance.now() - t0) * speed,
    toRealMs: (simMs) => simMs / speed,
  }
}

/** A clock that moves only when told: rate-limit tests that never depend on real timing. */
export interface ManualClock extends SimClock {
  advance(ms: number): void
}

export const manualClock = (start = Date.UTC(2024, 5, 30)): ManualClock => {
  let t = start
  return {
    speed: 1,
    now: () => t,
    toRealMs: (simMs) => simMs,
    advance: (ms) => {
      t += ms
    },
  }
}
