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
  /** `auto`: at or above 1e11 milliseconds, else seconds (files of either kind). */
  readonly timeUnit: "s" | "ms" | "auto"
  readonly distinctId: string
  /** Tried in order; the first present (and not empty) wins. */
  readonly insertId: ReadonlyArray<string>
  readonly properties: string
  /** IANA zone when `time` is local wall-clock seconds (legacy projects); UTC when absent. */
  readonly timeZone?: string
  /**
   * Lines as they came (a spooled day, a user's file read in place): the loader gives a line
   * whose own `$insert_id` (the one `insertId` path) is not usable the derived id, by the one
   * rule every path follows (`insertIdOf`).
   */
  readonly deriveInsertId?: boolean
}

/** A JSONL file to load, with the name users know it by (for errors). */
export interface JsonlFile {
  readonly path: string
  /** The day (`day 2024-05-01`) or file name a bad line's error names; the path when absent. */
  readonly origin?: string
  /** Event lines in `path`, when known (makes the duplicate count exact). */
  readonly rows?: number
  /** `gzip` when the file is compressed, whatever its name. */
  readonly compression?: "gzip"
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
      /**
       * Events in a JSONL file: spooled (a day, a copy of stdin), deleted by whoever consumes
       * the part; or a user's own file read in place (`inPlace`), never deleted.
       */
      readonly _tag: "JsonlPart"
      /** Null when the days are known only once loaded (a file): storage derives them. */
      readonly day: string | null
      readonly path: string
      readonly layout: JsonlLayout
      /** Event lines, when counted while spooling (a file read in place is not). */
      readonly rows?: number
      readonly bytes: number
      /** A user's file, loaded where it is: never deleted. */
      readonly inPlace?: boolean
      /** `gzip` when `path` is compressed, whatever its name. */
      readonly compression?: "gzip"
      /** What users call the input (a file name): load errors name it with the line. */
      readonly origin?: string
      /** Only these event names (all when absent). */
      readonly events?: ReadonlyArray<string>
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
