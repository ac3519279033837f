import {
  type DuckDBAppender,
  DuckDBDataChunk,
  type DuckDBType,
  type DuckDBVector,
} from "@duckdb/node-api"

/** DuckDB's vector size: rows per data chunk. */
export const CHUNK_ROWS = 2048

/**
 * Fills DuckDB data chunks column by column and hands each full chunk to the Appender in one
 * call: far cheaper than one native call per value. Values go straight into the vectors.
 */
export class ChunkAppender {
  private chunk: DuckDBDataChunk
  private vectors: Array<DuckDBVector>
  private rows = 0

  constructor(
    private readonly appender: DuckDBAppender,
    private readonly types: ReadonlyArray<DuckDBType>,
  ) {
    this.chunk = DuckDBDataChunk.create(types, CHUNK_ROWS)
    this.vectors = types.map((_, i) => this.chunk.getColumnVector(i))
  }

  /** The vector of column `i` and the row to write; call `endRow` after setting every column. */
  get row(): number {
    return this.rows
  }

  vector(i: number): DuckDBVector {
    return this.vectors[i]!
  }

  /** Returns true when a chunk was handed to the appender. */
  endRow(): boolean {
    this.rows++
    if (this.rows < CHUNK_ROWS) return false
    this.emit()
    return true
  }

  /** Hands the partial chunk, if any, to the appender, and frees the native chunk. */
  finish(): void {
    if (this.rows > 0) this.emit()
    this.chunk.reset()
  }

  private emit(): void {
    for (const vector of this.vectors) vector.flush()
    if (this.rows < CHUNK_ROWS) this.chunk.rowCount = this.rows
    this.appender.appendDataChunk(this.chunk)
    // Reuse the one native chunk: a fresh chunk per batch would hold its strings until the
    // garbage collector finalises it, and native memory would grow with the stream.
    this.chunk.reset()
    this.chunk.rowCount = CHUNK_ROWS
    this.vectors = this.types.map((_, i) => this.chunk.getColumnVector(i))
    this.rows = 0
  }
}
