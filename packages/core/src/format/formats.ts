import { csvRecord } from "./csv.js"

/**
 * The output formats, said once for every front end: their names, the other names they answer
 * to, their HTTP content types and how rows are framed into one text. `table` is for people and
 * is drawn in JavaScript (it sizes its columns from every row); the others are text formats,
 * whose rows DuckDB renders (`storage.openText`, `format/sql.ts`).
 */
export const outputFormats = ["table", "json", "jsonl", "csv"] as const
export type OutputFormat = (typeof outputFormats)[number]

/** The formats whose rows DuckDB renders as text. */
export const textFormats = ["json", "jsonl", "csv"] as const
export type TextFormat = (typeof textFormats)[number]

/** Other names of a format: `ndjson` is `jsonl`. */
const aliases = { ndjson: "jsonl" } as const satisfies Record<string, OutputFormat>

/** Every name a text format answers to. */
export const textFormatNames = [
  ...textFormats,
  ...(Object.keys(aliases) as Array<"ndjson">),
] as const
export type TextFormatName = (typeof textFormatNames)[number]

/** Every name a format answers to. */
export const formatNames: ReadonlyArray<string> = [...outputFormats, ...Object.keys(aliases)]

/** The format a name stands for, or undefined when it names none. */
export const parseOutputFormat = (name: string): OutputFormat | undefined =>
  (outputFormats as ReadonlyArray<string>).includes(name)
    ? (name as OutputFormat)
    : aliases[name as keyof typeof aliases]

/** The text format a name stands for. */
export const parseTextFormat = (name: TextFormatName): TextFormat =>
  parseOutputFormat(name) as TextFormat

export const isOutputFormat = (name: string): boolean => parseOutputFormat(name) !== undefined

/** Why a name is no format, for messages (undefined when it is one). */
export const formatProblem = (name: string): string | undefined =>
  isOutputFormat(name)
    ? undefined
    : `must be one of ${formatNames.join(", ")}, got ${JSON.stringify(name)}`

/** Media types for HTTP answers (`jsonl` is served as ndjson). */
export const mediaTypes = {
  table: "text/plain",
  json: "application/json",
  jsonl: "application/x-ndjson",
  csv: "text/csv",
} as const satisfies Record<OutputFormat, string>

/** Content types for HTTP answers: the media type, in UTF-8. */
export const contentTypes = Object.fromEntries(
  outputFormats.map((format) => [format, `${mediaTypes[format]}; charset=utf-8`]),
) as Record<OutputFormat, string>

/**
 * How rendered rows become one text: `head` before everything (the CSV header), `first` before
 * the first row, `between` before each later row, `after` after every row, and `tail` at the
 * end (`rows` says whether there were any).
 */
export interface Framing {
  readonly head: (names: ReadonlyArray<string>) => string
  readonly first: string
  readonly between: string
  readonly after: string
  readonly tail: (rows: boolean) => string
}

export const framing: Record<TextFormat, Framing> = {
  /** One JSON array, a row object per line. */
  json: {
    head: () => "[",
    first: "\n",
    between: ",\n",
    after: "",
    tail: (rows) => (rows ? "\n]\n" : "]\n"),
  },
  /** One JSON object per line. */
  jsonl: { head: () => "", first: "", between: "", after: "\n", tail: () => "" },
  /** RFC 4180: a header record, CRLF after every record. */
  csv: {
    head: (names) => `${csvRecord(names)}\r\n`,
    first: "",
    between: "",
    after: "\r\n",
    tail: () => "",
  },
}
