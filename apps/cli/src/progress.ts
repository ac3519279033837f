import {
  emptyProgress,
  type ProgressReporter,
  type ProgressState,
  progressEtaMs,
  trackProgress,
} from "@mixpanel-data/core"
import { Effect } from "effect"

const number = new Intl.NumberFormat("en-US")

const bytes = (n: number): string => {
  if (n < 1024) return `${n} B`
  const units = ["KB", "MB", "GB", "TB"]
  let v = n / 1024
  let i = 0
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return `${v.toFixed(1)} ${units[i]}`
}

const two = (n: number) => String(n).padStart(2, "0")

const clock = (epochMs: number): string => {
  const d = new Date(epochMs)
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map(two).join(":")
}

/** `45s`, `3m 05s`, `2h 04m`. */
export const duration = (ms: number): string => {
  const seconds = Math.ceil(ms / 1000)
  if (seconds < 60) return `${seconds}s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 60) return `${minutes}m ${two(seconds % 60)}s`
  return `${Math.floor(minutes / 60)}h ${two(minutes % 60)}m`
}

export interface ProgressView {
  readonly reporter: ProgressReporter
  /** Prints the last state and ends the line; call once when the work ends. */
  readonly finish: () => void
  /** Clears a TTY line (before an error is printed). */
  readonly clear: () => void
}

/**
 * Renders progress on stderr: one redrawn line on a terminal, an occasional plain line
 * otherwise (and whenever the scheduler starts waiting), nothing when disabled. The events are
 * folded by core's progress state, as the server's job status folds them.
 */
export const makeProgressView = (
  label: string,
  options: {
    readonly enabled: boolean
    /** Also print each retry with its reason. */
    readonly verbose?: boolean
    readonly stream?: NodeJS.WriteStream
  },
): ProgressView => {
  const out = options.stream ?? process.stderr
  if (!options.enabled) {
    return { reporter: { report: () => Effect.void }, finish: () => {}, clear: () => {} }
  }
  const tty = out.isTTY === true
  const started = Date.now()
  let state: ProgressState = emptyProgress
  let lastDraw = 0
  let lastPlain = started
  let drawn = false

  const line = (now: number): string => {
    const elapsed = Math.max(0.001, (now - started) / 1000)
    const rows = Math.max(state.rowsReceived, state.rowsStored)
    const parts: string[] = []
    const total = state.unitsTotal
    if (total !== null) {
      if (tty) {
        const width = 20
        const filled = Math.min(width, Math.round((state.unitsDone / Math.max(1, total)) * width))
        parts.push(`${"█".repeat(filled)}${"░".repeat(width - filled)}`)
      }
      parts.push(`${state.unitsDone}/${total} ${state.unit ?? "days"}`)
    }
    parts.push(`${number.format(rows)} rows`)
    if (state.bytesReceived > 0) parts.push(bytes(state.bytesReceived))
    parts.push(`${number.format(Math.round(rows / elapsed))} rows/s`)
    const eta = progressEtaMs(state, now)
    if (eta !== null && total !== null && state.unitsDone < total) {
      parts.push(`ETA ${duration(eta)}`)
    }
    if (state.retries > 0) parts.push(`${state.retries} retried`)
    const waiting = state.waiting
    if (waiting?.until != null && waiting.until > now) {
      parts.push(`waiting for rate limit (resumes ${clock(waiting.until)})`)
    } else if (waiting !== null && waiting.until === null) {
      parts.push("waiting for rate limit")
    }
    return `${label} ${parts.join(" · ")}`
  }

  const draw = (force: boolean, now: number) => {
    if (tty) {
      if (!force && now - lastDraw < 100) return
      lastDraw = now
      const columns = out.columns ?? 120
      const text = line(now)
      out.write(`\r\u001b[2K${text.length > columns - 1 ? text.slice(0, columns - 1) : text}`)
      drawn = true
    } else if (force || now - lastPlain >= 5000) {
      lastPlain = now
      out.write(`${line(now)}\n`)
    }
  }

  const reporter = trackProgress((next, event, now) =>
    Effect.sync(() => {
      const before = state
      state = next
      switch (event._tag) {
        case "Planned":
          return draw(true, now)
        case "Waiting":
          // A new wait, or a new end to it, is worth a line of its own.
          return draw(before.waiting === null || before.waiting.until !== next.waiting?.until, now)
        case "Retrying":
          if (options.verbose) {
            if (tty && drawn) out.write("\r\u001b[2K")
            out.write(`retry ${event.attempt} of ${event.what}: ${event.reason}\n`)
            drawn = false
          }
          return draw(false, now)
        default:
          return draw(false, now)
      }
    }),
  )

  return {
    reporter,
    finish: () => {
      state = { ...state, waiting: null }
      draw(true, Date.now())
      if (tty) {
        out.write("\n")
        drawn = false
      }
    },
    clear: () => {
      if (tty && drawn) {
        out.write("\r\u001b[2K")
        drawn = false
      }
    },
  }
}
