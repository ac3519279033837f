import type { Stream } from "effect"
import type { EventRecord, ProfileRecord } from "./records.js"
import type { SourceError } from "./source-errors.js"

/** Which events to fetch. Dates are inclusive `YYYY-MM-DD` in the project's calendar. */
export interface EventsRequest {
  readonly from: string
  readonly to: string
  /** Only these days of the range (a resume, or a lookback); all days when absent. */
  readonly days?: ReadonlyArray<string>
  readonly events?: ReadonlyArray<string>
  readonly where?: string
  readonly limit?: number
}

export interface ProfilesRequest {
  readonly where?: string
  readonly cohortId?: number
  readonly includeAllUsers?: boolean
  readonly outputProperties?: ReadonlyArray<string>
  readonly distinctIds?: ReadonlyArray<string>
  /** Group profiles of this data group instead of user profiles. */
  readonly groupId?: string
  readonly behaviors?: unknown
  readonly asOfTimestamp?: number
}

/**
 * Where in each line of a JSONL file the event columns live, as DuckDB JSON paths
 * (e.g. `$.properties."$insert_id"`). Lets storage load a spooled file natively.
 */
export interface JsonlLayout {
  readonly eventName: string
  readonly time: string
  readonly timeUnit: "s" | "ms"
  readonly distinctId: string
  /** Tried in order; the first present wins (a source may add a derived id beside the line's). */
  readonly insertId: ReadonlyArray<string>
  readonly properties: string
  /** Orders copies of one event: the highest wins (Mixpanel: `mp_processing_time_ms`). */
  readonly version?: string
  /** IANA zone when `time` is local wall-clock seconds (legacy projects); UTC when absent. */
  readonly timeZone?: string
}

/**
 * One complete day of events. A source emits a part only once that day is whole, so a retry
 * upstream never replays or drops rows downstream.
 */
export type EventPart =
  | {
      readonly _tag: "RecordsPart"
      /** Null when the source cannot tell days apart up front (a file): storage derives them. */
      readonly day: string | null
      readonly records: Stream.Stream<EventRecord, SourceError>
    }
  | {
      /** A day spooled to a JSONL file; whoever consumes the part deletes the file. */
      readonly _tag: "JsonlPart"
      readonly day: string
      readonly path: string
      readonly layout: JsonlLayout
      readonly rows: number
      readonly bytes: number
    }

/** The contract every source adapter implements. */
export interface Source {
  /** Short name recorded in metadata: `mixpanel`, `file`, ... */
  readonly name: string
  /** Parameters that describe this source for metadata (never secrets). */
  readonly params: Readonly<Record<string, unknown>>
  /**
   * Every requested day exactly once, each when complete, in any order. Progress goes to the
   * `Progress` reference.
   */
  readonly events: (request: EventsRequest) => Stream.Stream<EventPart, SourceError>
  readonly profiles: (request: ProfilesRequest) => Stream.Stream<ProfileRecord, SourceError>
}
