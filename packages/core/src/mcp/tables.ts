import { Effect } from "effect"
import type { QueryError, TableReadError, TableTypeMismatch } from "../errors.js"
import { reportTable } from "../reports/table.js"
import { ident } from "../storage/names.js"
import { Storage } from "../storage.js"

/**
 * What the agent tools read about the tables: listings, descriptions and property values, each
 * one compact JSON-ready value built from the storage engine's own introspection.
 */

/** A property's value as text (JSON for objects and arrays), by the key given as a parameter. */
const propertyText = (keySql: string) =>
  `json_extract_string(properties, '$."' || replace(${keySql}, '"', '\\"') || '"')`

/** Example values are cut to this many characters. */
const EXAMPLE_CHARS = 80

const clip = (value: unknown): string => {
  const text = String(value)
  return text.length > EXAMPLE_CHARS ? `${text.slice(0, EXAMPLE_CHARS)}…` : text
}

export interface TableListing {
  readonly name: string
  readonly kind: "table" | "view"
  readonly type: "events" | "profiles"
  readonly rows: number
  /** Inclusive days of an events table; null when unknown (profiles). */
  readonly from: string | null
  readonly to: string | null
  /** False while a fetch has days missing (it resumes when run again). */
  readonly complete: boolean
  readonly fetchedAt: string
}

/** Every table and typed view, with its rows, days and completeness. */
export const tableListings: Effect.Effect<
  ReadonlyArray<TableListing>,
  QueryError,
  Storage
> = Effect.gen(function* () {
  const storage = yield* Storage
  const tables = yield* storage.listTables
  return yield* Effect.forEach(tables, (table) =>
    storage.getMetadata(table.name).pipe(
      Effect.map((m) => ({ from: m.fromDate, to: m.toDate })),
      Effect.orElseSucceed(() => ({ from: null, to: null })),
      Effect.map(
        (range): TableListing => ({
          name: table.name,
          kind: table.kind,
          type: table.type,
          rows: table.rowCount,
          ...range,
          complete: table.complete,
          fetchedAt: table.fetchedAt.toISOString(),
        }),
      ),
    ),
  )
})

export interface PropertyKey {
  readonly key: string
  /** Rows that hold the key. */
  readonly rows: number
  /** A few distinct values from a sample of rows, as text. */
  readonly examples: ReadonlyArray<string>
}

export interface TableDescription {
  readonly name: string
  readonly columns: ReadonlyArray<{ readonly name: string; readonly type: string }>
  readonly metadata: {
    readonly type: string
    readonly fetchedAt: string
    readonly from: string | null
    readonly to: string | null
    readonly filters: Record<string, unknown>
    readonly source: { readonly name: string; readonly params: Record<string, unknown> }
  }
  /** The most frequent keys of `properties`, most frequent first. */
  readonly propertyKeys: ReadonlyArray<PropertyKey>
  readonly sample: {
    readonly columns: ReadonlyArray<string>
    readonly rows: ReadonlyArray<ReadonlyArray<unknown>>
  }
}

export interface DescribeOptions {
  /** Property keys listed (default 30). */
  readonly keys?: number
  /** Sample rows (default 3). */
  readonly sampleRows?: number
}

/** Rows read to find example values: enough for variety, cheap on any table. */
const EXAMPLE_SAMPLE = 2000

/** A table's columns, metadata, top property keys with example values and a few rows. */
export const describeTable = (
  name: string,
  options: DescribeOptions = {},
): Effect.Effect<TableDescription, TableReadError, Storage> =>
  Effect.gen(function* () {
    const storage = yield* Storage
    const schema = yield* storage.getSchema(name)
    const metadata = yield* storage.getMetadata(name)
    const hasProperties = schema.columns.some((c) => c.name === "properties")
    const keys = hasProperties
      ? (yield* storage.propertyKeys(name, "properties")).slice(0, options.keys ?? 30)
      : []
    const examples = new Map<string, ReadonlyArray<string>>()
    if (keys.length > 0) {
      const found = yield* storage.query(
        `WITH keys AS (SELECT unnest(from_json(?, '["VARCHAR"]')) AS key),
           s AS (SELECT properties FROM ${ident(schema.tableName)}
                 USING SAMPLE reservoir(${EXAMPLE_SAMPLE} ROWS))
         SELECT key, list(DISTINCT v ORDER BY v)[1:3]
         FROM (SELECT keys.key, ${propertyText("keys.key")} AS v FROM keys, s)
         WHERE v IS NOT NULL GROUP BY key`,
        [JSON.stringify(keys.map((k) => k.key))],
      )
      for (const [key, values] of found.rows) {
        examples.set(String(key), Array.isArray(values) ? values.map(clip) : [])
      }
    }
    const sample = yield* storage.sample(name, options.sampleRows ?? 3)
    return {
      name: schema.tableName,
      columns: schema.columns.map((c) => ({ name: c.name, type: c.type })),
      metadata: {
        type: metadata.type,
        fetchedAt: metadata.fetchedAt.toISOString(),
        from: metadata.fromDate,
        to: metadata.toDate,
        filters: metadata.filters,
        source: metadata.source,
      },
      propertyKeys: keys.map((k) => ({
        key: k.key,
        rows: k.count,
        examples: examples.get(k.key) ?? [],
      })),
      sample: { columns: sample.columns.map((c) => c.name), rows: sample.rows },
    }
  })

export interface PropertyValues {
  readonly table: string
  readonly event: string
  readonly property: string
  /** `[value, events, users]` rows, most events first; a null value: the property is absent or null. */
  readonly columns: ReadonlyArray<string>
  readonly rows: ReadonlyArray<readonly [string | null, number, number]>
}

/** The most frequent values of one property of one event, from an events table. */
export const propertyValues = (input: {
  readonly table?: string
  readonly event: string
  readonly property: string
  readonly limit: number
}): Effect.Effect<PropertyValues, TableReadError | TableTypeMismatch | QueryError, Storage> =>
  Effect.gen(function* () {
    const table = yield* reportTable(input.table)
    const storage = yield* Storage
    const limit = Math.max(1, Math.floor(input.limit))
    const found = yield* storage.query(
      `SELECT ${propertyText("?")} AS value, count(*) AS events,
         count(DISTINCT distinct_id) AS users
       FROM ${table.sql} WHERE event_name = ?
       GROUP BY ALL ORDER BY events DESC, value NULLS LAST LIMIT ${limit}`,
      [input.property, input.event],
    )
    return {
      table: table.name,
      event: input.event,
      property: input.property,
      columns: ["value", "events", "users"],
      rows: found.rows.map(
        ([value, events, users]) =>
          [value === null ? null : String(value), Number(events), Number(users)] as const,
      ),
    }
  })
