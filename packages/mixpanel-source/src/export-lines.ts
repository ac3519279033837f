import { EventLines, type EventLinesOptions, type TimeOptions } from "@mixpanel-data/core"

/** Why an export body cannot be trusted whole; becomes an `IncompleteExport`. */
export class IncompleteBody extends Error {
  override readonly name = "IncompleteBody"
}

const quoted = (text: string) => JSON.stringify(text.slice(0, 80))

export interface ExportLinesOptions extends TimeOptions {
  /** Add `"$derived_insert_id"` to lines lacking a usable `$insert_id` (not for passthrough). */
  readonly derive: boolean
  readonly onProgress?: (rows: number, bytes: number) => void
  /** Where later copies of an event key go (see core's `EventLines`). */
  readonly copies?: string
}

/**
 * Checks an export body line by line as it streams and passes it on as JSONL (core's
 * `EventLines`): a body that ends with `terminated early`, a foreign line, a line that does not
 * parse or a cut last line make the whole body untrustworthy (`IncompleteBody`), so the day is
 * asked for again.
 */
export class ExportLines extends EventLines {
  constructor(options: ExportLinesOptions) {
    const lines: EventLinesOptions = {
      ...options,
      foreignLine: (text) =>
        text.includes("terminated early")
          ? new IncompleteBody("the body ended with `terminated early`")
          : new IncompleteBody(`unexpected line ${quoted(text)}`),
      cutLastLine: (text) => new IncompleteBody(`the last line was cut: ${quoted(text)}`),
    }
    super(lines)
  }
}
