import type { TableType } from "../records.js"

/** The types a view's property column can have. */
export type ViewColumnType = "BOOLEAN" | "BIGINT" | "HUGEINT" | "DOUBLE" | "VARCHAR" | "JSON"

/** One property key of the source's `properties`, as a typed column of the view. */
export interface ViewColumn {
  /** The column's name: the key as it is, or renamed where it would clash (see `columnNames`). */
  readonly column: string
  /** The property key. */
  readonly key: string
  readonly type: ViewColumnType
  /** Sampled rows holding the key. */
  readonly rows: number
}

/** A typed view: its source table, how many keys it types, and what was inferred. */
export interface ViewInfo {
  readonly name: string
  /** The table the view reads. */
  readonly table: string
  readonly type: TableType
  /** The most frequent keys typed (at most). */
  readonly top: number
  /** The typed columns, most frequent key first, after the source's own columns. */
  readonly columns: ReadonlyArray<ViewColumn>
  /** Rows the inference read (a sample of at most `VIEW_SAMPLE_ROWS`). */
  readonly sampledRows: number
  readonly createdAt: Date
  /** When the columns were last inferred (created or refreshed). */
  readonly refreshedAt: Date
}

export interface ViewOptions {
  /** The view's name (default `<table>_typed`). */
  readonly name?: string
  /** How many of the most frequent keys become columns (default `DEFAULT_VIEW_TOP`). */
  readonly top?: number
}

export const DEFAULT_VIEW_TOP = 50

/**
 * Rows the inference reads at most: past this, a sample picked by a hash of the row id, spread
 * over the whole table and the same for the same data (`views/infer.ts`).
 */
export const VIEW_SAMPLE_ROWS = 50_000

/** The view's name when none is given. */
export const defaultViewName = (table: string): string => `${table}_typed`
