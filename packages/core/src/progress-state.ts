import { Clock, Effect, Schema } from "effect"
import type { ProgressEvent, ProgressReporter } from "./progress.js"

/**
 * Progress events folded into one state, the same for every front end (the command line's bar,
 * the server's job status), with an estimate of the time left.
 */

/** Set while the scheduler holds requests back for the upstream's rate limits. */
export interface ProgressWait {
  readonly reason: string
  /** Epoch milliseconds when requests resume, when known. */
  readonly until: number | null
}

/** When units were done: the instant and the units done by then. */
interface Mark {
  readonly at: number
  readonly done: number
}

export interface ProgressState {
  /** `days`, `pages` or `files`; null until the work is planned. */
  readonly unit: string | null
  readonly unitsTotal: number | null
  readonly unitsDone: number
  readonly rowsReceived: number
  readonly bytesReceived: number
  readonly rowsStored: number
  readonly retries: number
  readonly waiting: ProgressWait | null
  /** The planning instant, then the last completions: enough to measure the recent pace. */
  readonly marks: ReadonlyArray<Mark>
}

export const emptyProgress: ProgressState = {
  unit: null,
  unitsTotal: null,
  unitsDone: 0,
  rowsReceived: 0,
  bytesReceived: 0,
  rowsStored: 0,
  retries: 0,
  waiting: null,
  marks: [],
}

/** Units the pace is measured over: recent enough to follow a change of speed, yet steady. */
export const PACE_UNITS = 5

/**
 * Adds a completion at `at`; keeps the latest mark with at least `PACE_UNITS` done after it
 * (or the planning instant) and everything since.
 */
const addMark = (marks: ReadonlyArray<Mark>, at: number, done: number): ReadonlyArray<Mark> => {
  const last = marks.at(-1)
  const next =
    last !== undefined && last.at === at
      ? [...marks.slice(0, -1), { at, done }]
      : [...marks, { at, done }]
  let start = 0
  while (start + 1 < next.length - 1 && done - next[start + 1]!.done >= PACE_UNITS) start++
  return start === 0 ? next : next.slice(start)
}

/** The state after `event`, which happened at `now` (epoch ms). */
export const foldProgress = (
  state: ProgressState,
  event: ProgressEvent,
  now: number,
): ProgressState => {
  switch (event._tag) {
    case "Planned":
      return {
        ...state,
        unit: event.unit,
        unitsTotal: event.total,
        marks: state.marks.length === 0 ? [{ at: now, done: state.unitsDone }] : state.marks,
      }
    case "Received":
      return {
        ...state,
        rowsReceived: Math.max(state.rowsReceived, event.rows),
        bytesReceived: Math.max(state.bytesReceived, event.bytes),
        waiting: null,
      }
    case "Stored":
      return { ...state, rowsStored: Math.max(state.rowsStored, event.rows) }
    case "UnitDone": {
      const unitsDone = state.unitsDone + 1
      return {
        ...state,
        unitsDone,
        waiting: null,
        marks: addMark(
          state.marks.length === 0 ? [{ at: now, done: 0 }] : state.marks,
          now,
          unitsDone,
        ),
      }
    }
    case "Waiting":
      return { ...state, waiting: { reason: event.reason, until: event.until ?? null } }
    case "Retrying":
      return { ...state, retries: state.retries + 1 }
  }
}

/** Milliseconds of rate-limit wait still ahead at `now`. */
export const waitLeftMs = (state: ProgressState, now: number): number =>
  state.waiting?.until != null ? Math.max(0, state.waiting.until - now) : 0

/**
 * The time left at `now`, in ms: the units left times the recent pace (over the last
 * `PACE_UNITS` units done, or since planning), less the time the unit in progress has already
 * had (at most one pace), plus the rate-limit wait when one applies. Null until a unit is done.
 */
export const progressEtaMs = (state: ProgressState, now: number): number | null => {
  if (state.unitsTotal === null) return null
  const left = Math.max(0, state.unitsTotal - state.unitsDone)
  if (left === 0) return 0
  const first = state.marks[0]
  const last = state.marks.at(-1)
  if (first === undefined || last === undefined || last.done === first.done) return null
  const pace = (last.at - first.at) / (last.done - first.done)
  const inProgress = Math.min(Math.max(0, now - last.at), pace)
  return Math.round(left * pace - inProgress + waitLeftMs(state, now))
}

/** What a job's status says of its progress (JSON). */
export const ProgressSnapshot = Schema.Struct({
  unit: Schema.NullOr(Schema.String),
  unitsTotal: Schema.NullOr(Schema.Number),
  unitsDone: Schema.Number,
  rowsReceived: Schema.Number,
  bytesReceived: Schema.Number,
  rowsStored: Schema.Number,
  /** Requests retried after transient failures. */
  retries: Schema.Number,
  /** Set while the scheduler holds requests back for the upstream's rate limits. */
  waiting: Schema.NullOr(
    Schema.Struct({ reason: Schema.String, until: Schema.NullOr(Schema.Number) }),
  ),
  /** Estimated milliseconds left (units left × recent pace, plus a rate-limit wait); null until a unit is done. */
  etaMs: Schema.NullOr(Schema.Number),
})
export type ProgressSnapshot = typeof ProgressSnapshot.Type

/** The state as of `now`, for a status answer. */
export const progressSnapshot = (state: ProgressState, now: number): ProgressSnapshot => ({
  unit: state.unit,
  unitsTotal: state.unitsTotal,
  unitsDone: state.unitsDone,
  rowsReceived: state.rowsReceived,
  bytesReceived: state.bytesReceived,
  rowsStored: state.rowsStored,
  retries: state.retries,
  waiting: state.waiting,
  etaMs: progressEtaMs(state, now),
})

/**
 * A progress sink that folds every event into one state, read from `Clock` (a test clock in
 * tests), and hands each new state to `onChange` with the event and the instant.
 */
export const trackProgress = (
  onChange: (state: ProgressState, event: ProgressEvent, now: number) => Effect.Effect<void>,
  initial: ProgressState = emptyProgress,
): ProgressReporter & { readonly current: () => ProgressState } => {
  let state = initial
  return {
    report: (event) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        state = foldProgress(state, event, now)
        return onChange(state, event, now)
      }),
    current: () => state,
  }
}
