import type { ProgressEvent, ProgressReporter } from "@mixpanel-data/core"
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

const clock = (epochMs: number): string => {
  const d = new Date(epochMs)
  return [d.getHours(), d.getMinutes(), d.getSeconds()]
    .map((n) => String(n).padStart(2, "0"))
    .join(":")
}

export interface ProgressView {
  readonly reporter: ProgressReporter
  /** Prints the last state and ends the line; call once when the work ends. */
  readonly finish: () => void
  /** Clears a TTY line (before an error is printed). */
  readonly clear: () => void
}

interface State {
  unit: string
  total: number | undefined
  done: number
  rows: number
  bytes: number
  stored: number
  waitingUntil: number | undefined
  waitingReason: string | undefined
  retries: number
}

/**
 * Renders progress events on stderr: one redrawn line on a terminal, an occasional plain line
 * otherwise (and whenever the scheduler starts waiting), nothing when disabled.
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
  const state: State = {
    unit: "days",
    total: undefined,
    done: 0,
    rows: 0,
    bytes: 0,
    stored: 0,
    waitingUntil: undefined,
    waitingReason: undefined,
    retries: 0,
  }
  let lastDraw = 0
  let lastPlain = started
  let drawn = false

  const line = (): string => {
    const elapsed = Math.max(0.001, (Date.now() - started) / 1000)
    const rows = Math.max(state.rows, state.stored)
    const parts: string[] = []
    if (state.total !== undefined) {
      if (tty) {
        const width = 20
        const filled = Math.round((state.done / Math.max(1, state.total)) * width)
        parts.push(`${"█".repeat(filled)}${"░".repeat(width - filled)}`)
      }
      parts.push(`${state.done}/${state.total} ${state.unit}`)
    }
    parts.push(`${number.format(rows)} rows`)
    if (state.bytes > 0) parts.push(bytes(state.bytes))
    parts.push(`${number.format(Math.round(rows / elapsed))} rows/s`)
    if (state.retries > 0) parts.push(`${state.retries} retried`)
    if (state.waitingUntil !== undefined && state.waitingUntil > Date.now()) {
      parts.push(`waiting for rate limit (resumes ${clock(state.waitingUntil)})`)
    } else if (state.waitingReason !== undefined && state.waitingUntil === undefined) {
      parts.push("waiting for rate limit")
    }
    return `${label} ${parts.join(" · ")}`
  }

  const draw = (force: boolean) => {
    const now = Date.now()
    if (tty) {
      if (!force && now - lastDraw < 100) return
      lastDraw = now
      const columns = out.columns ?? 120
      const text = line()
      out.write(`\r\u001b[2K${text.length > columns - 1 ? text.slice(0, columns - 1) : text}`)
      drawn = true
    } else if (force || now - lastPlain >= 5000) {
      lastPlain = now
      out.write(`${line()}\n`)
    }
  }

  const apply = (event: ProgressEvent) => {
    switch (event._tag) {
      case "Planned":
        state.unit = event.unit
        state.total = event.total
        draw(true)
        return
      case "Received":
        state.rows = Math.max(state.rows, event.rows)
        state.bytes = Math.max(state.bytes, event.bytes)
        state.waitingUntil = undefined
        state.waitingReason = undefined
        draw(false)
        return
      case "Stored":
        state.stored = Math.max(state.stored, event.rows)
        draw(false)
        return
      case "UnitDone":
        state.done++
        draw(false)
        return
      case "Waiting": {
        const fresh = state.waitingReason === undefined || state.waitingUntil !== event.until
        state.waitingReason = event.reason
        state.waitingUntil = event.until
        draw(fresh)
        return
      }
      case "Retrying":
        state.retries++
        if (options.verbose) {
          if (tty && drawn) out.write("\r\u001b[2K")
          out.write(`retry ${event.attempt} of ${event.what}: ${event.reason}\n`)
          drawn = false
        }
        draw(false)
    }
  }

  return {
    reporter: { report: (event) => Effect.sync(() => apply(event)) },
    finish: () => {
      state.waitingUntil = undefined
      state.waitingReason = undefined
      if (tty) {
        draw(true)
        out.write("\n")
        drawn = false
      } else {
        draw(true)
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
