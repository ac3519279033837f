import { Schema } from "effect"

/** JSON properties, kept exactly as the source sent them (`$` keys untouched). */
export const Properties = Schema.Record(Schema.String, Schema.Unknown)
export type Properties = typeof Properties.Type

/** One event. `time` is a UTC instant; `insertId` is never invented at random. */
export const EventRecord = Schema.Struct({
  eventName: Schema.String,
  time: Schema.Date,
  distinctId: Schema.String,
  insertId: Schema.String,
  properties: Properties,
})
export type EventRecord = typeof EventRecord.Type

/** One user (or group) profile; `lastSeen` is a UTC instant when the source knows it. */
export const ProfileRecord = Schema.Struct({
  distinctId: Schema.String,
  properties: Properties,
  lastSeen: Schema.NullOr(Schema.Date),
})
export type ProfileRecord = typeof ProfileRecord.Type

export const TableType = Schema.Literals(["events", "profiles"])
export type TableType = typeof TableType.Type

/**
 * What a table was fetched from and how. Unlike the original engine we keep the filters and
 * the source's parameters, so a table can be refreshed or resumed exactly.
 */
export const TableMetadata = Schema.Struct({
  type: TableType,
  fetchedAt: Schema.Date,
  /** Inclusive `YYYY-MM-DD`, events only. */
  fromDate: Schema.NullOr(Schema.String),
  toDate: Schema.NullOr(Schema.String),
  /** Filters applied (event names, where, cohort, ...), as given. */
  filters: Schema.Record(Schema.String, Schema.Unknown),
  /** Source name (`mixpanel`, `file`, ...) and its parameters (region, project, files...). */
  source: Schema.Struct({
    name: Schema.String,
    params: Schema.Record(Schema.String, Schema.Unknown),
  }),
})
export type TableMetadata = typeof TableMetadata.Type

/** A stored table, or a typed view over one (`views/`). */
export const TableKind = Schema.Literals(["table", "view"])
export type TableKind = typeof TableKind.Type

/**
 * A table or typed view as listed. A view lists its source's type, rows and completeness, and
 * as `fetchedAt` the time its columns were last inferred.
 */
export const TableInfo = Schema.Struct({
  name: Schema.String,
  kind: TableKind,
  type: TableType,
  rowCount: Schema.Number,
  fetchedAt: Schema.Date,
  /** False while a partitioned fetch has missing days (interrupted, resumable). */
  complete: Schema.Boolean,
})
export type TableInfo = typeof TableInfo.Type

export const ColumnInfo = Schema.Struct({
  name: Schema.String,
  type: Schema.String,
  nullable: Schema.Boolean,
  primaryKey: Schema.Boolean,
})
export type ColumnInfo = typeof ColumnInfo.Type

export const TableSchema = Schema.Struct({
  tableName: Schema.String,
  columns: Schema.Array(ColumnInfo),
})
export type TableSchema = typeof TableSchema.Type
