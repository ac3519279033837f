import type { TableType } from "../records.js"
import { ident } from "./names.js"

export const METADATA_TABLE = "_metadata"
export const PARTITIONS_TABLE = "_partitions"
export const STAGING_PREFIX = "_staging_"
/** The typed views' definitions (`views/`): source table, top N, and the inferred columns. */
export const VIEWS_TABLE = "_views"

export const internalTablesSql = [
  `CREATE TABLE IF NOT EXISTS ${METADATA_TABLE} (
    table_name VARCHAR PRIMARY KEY,
    type VARCHAR NOT NULL,
    fetched_at TIMESTAMP,
    from_date DATE,
    to_date DATE,
    row_count BIGINT,
    filters JSON,
    source JSON,
    complete BOOLEAN NOT NULL DEFAULT true
  )`,
  `CREATE TABLE IF NOT EXISTS ${PARTITIONS_TABLE} (
    table_name VARCHAR,
    day DATE,
    row_count BIGINT NOT NULL,
    committed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (table_name, day)
  )`,
  `CREATE TABLE IF NOT EXISTS ${VIEWS_TABLE} (
    view_name VARCHAR NOT NULL,
    table_name VARCHAR NOT NULL,
    type VARCHAR NOT NULL,
    top INTEGER NOT NULL,
    columns JSON NOT NULL,
    sampled_rows BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    refreshed_at TIMESTAMP NOT NULL
  )`,
]

/**
 * Events carry no primary key: deduplication happens in the load SQL on Mixpanel's 4-tuple,
 * and an index over tens of millions of rows would cost memory and slow every load.
 */
const eventsColumns = `(
  event_name VARCHAR NOT NULL,
  event_time TIMESTAMP NOT NULL,
  distinct_id VARCHAR NOT NULL,
  insert_id VARCHAR NOT NULL,
  properties JSON
)`

const profilesColumns = (withKey: boolean) => `(
  distinct_id VARCHAR${withKey ? " PRIMARY KEY" : " NOT NULL"},
  properties JSON,
  last_seen TIMESTAMP
)`

export const createTableSql = (name: string, type: TableType, staging: boolean): string =>
  `CREATE TABLE ${ident(name)} ${type === "events" ? eventsColumns : profilesColumns(!staging)}`
