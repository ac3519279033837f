import { describe, expect, it } from "vitest"
import {
  cellText,
  csvField,
  formatCsv,
  formatJson,
  formatJsonl,
  formatResult,
  formatTable,
  makeRowEncoder,
  type QueryResult,
  toPlainJson,
} from "../../src/index.js"

const result: QueryResult = {
  columns: [
    { name: "event", type: "VARCHAR" },
    { name: "n", type: "BIGINT" },
    { name: "props", type: "JSON" },
  ],
  rows: [
    ["Sign up", 12n, { plan: "pro", tags: ["a", "b"] }],
    ['Say "hi", then\nleave', 3n, null],
    ["ünïcødé ✓", 9007199254740993n, { x: 1 }],
  ],
}

describe("values", () => {
  it("keeps big integers exact and converts dates and bytes", () => {
    expect(toPlainJson(5n)).toBe(5)
    expect(toPlainJson(9007199254740993n)).toBe("9007199254740993")
    expect(toPlainJson(new Date("2024-01-02T03:04:05Z"))).toBe("2024-01-02T03:04:05.000Z")
    expect(toPlainJson(new Uint8Array([1, 255]))).toBe("01ff")
    expect(toPlainJson({ a: [1n, null, undefined] })).toEqual({ a: [1, null, null] })
    expect(toPlainJson(Number.NaN)).toBe("NaN")
  })

  it("renders nested values as JSON text in cells", () => {
    expect(cellText({ a: 1 })).toBe('{"a":1}')
    expect(cellText(null)).toBe("")
    expect(cellText(true)).toBe("true")
  })
})

describe("csv", () => {
  it("quotes per RFC 4180", () => {
    expect(csvField("plain")).toBe("plain")
    expect(csvField("a,b")).toBe('"a,b"')
    expect(csvField('say "x"')).toBe('"say ""x"""')
    expect(csvField("two\nlines")).toBe('"two\nlines"')
    expect(csvField(" padded")).toBe('" padded"')
  })

  it("writes a header and nested values as JSON", () => {
    expect(formatCsv(result)).toBe(
      "event,n,props\r\n" +
        'Sign up,12,"{""plan"":""pro"",""tags"":[""a"",""b""]}"\r\n' +
        '"Say ""hi"", then\nleave",3,\r\n' +
        'ünïcødé ✓,9007199254740993,"{""x"":1}"\r\n',
    )
  })

  it("writes only the header for an empty result", () => {
    expect(formatCsv({ columns: result.columns, rows: [] })).toBe("event,n,props\r\n")
  })
})

describe("json and jsonl", () => {
  it("json is an array of row objects", () => {
    const parsed = JSON.parse(formatJson(result))
    expect(parsed).toEqual([
      { event: "Sign up", n: 12, props: { plan: "pro", tags: ["a", "b"] } },
      { event: 'Say "hi", then\nleave', n: 3, props: null },
      { event: "ünïcødé ✓", n: "9007199254740993", props: { x: 1 } },
    ])
    expect(JSON.parse(formatJson({ columns: result.columns, rows: [] }))).toEqual([])
  })

  it("jsonl is one object per line", () => {
    const lines = formatJsonl(result).trimEnd().split("\n")
    expect(lines).toHaveLength(3)
    expect(JSON.parse(lines[1]!)).toEqual({ event: 'Say "hi", then\nleave', n: 3, props: null })
  })

  it("duplicate column names stay distinct keys", () => {
    const out = formatJsonl({
      columns: [
        { name: "a", type: "INTEGER" },
        { name: "a", type: "INTEGER" },
      ],
      rows: [[1, 2]],
    })
    expect(JSON.parse(out)).toEqual({ a: 1, a_1: 2 })
  })
})

describe("streaming encoders", () => {
  it.each(["json", "jsonl", "csv", "table"] as const)(
    "%s in batches equals the whole",
    (format) => {
      const encoder = makeRowEncoder(format, result.columns)
      let out = encoder.begin()
      for (const row of result.rows) out += encoder.rows([row])
      out += encoder.rows([])
      out += encoder.end()
      expect(out).toBe(formatResult(format, result))
    },
  )

  it("csv writes the header once", () => {
    const encoder = makeRowEncoder("csv", result.columns)
    const out = encoder.begin() + encoder.rows(result.rows) + encoder.rows(result.rows)
    expect(out.match(/event,n,props/g)).toHaveLength(1)
  })
})

describe("table", () => {
  it("aligns columns, right-aligns numbers and counts rows", () => {
    const out = formatTable({
      columns: [
        { name: "name", type: "VARCHAR" },
        { name: "count", type: "BIGINT" },
      ],
      rows: [
        ["a", 1n],
        ["longer", 1000n],
      ],
    })
    expect(out).toBe(
      ["name    count", "──────  ─────", "a           1", "longer   1000", "(2 rows)", ""].join(
        "\n",
      ),
    )
  })

  it("truncates wide cells and flattens line breaks", () => {
    const out = formatTable(
      { columns: [{ name: "t", type: "VARCHAR" }], rows: [["x".repeat(100)], ["a\nb"]] },
      { maxCellWidth: 10 },
    )
    const lines = out.split("\n")
    expect(lines[2]).toBe(`${"x".repeat(9)}…`)
    expect(lines[3]).toBe("a↵b")
    expect(lines[4]).toBe("(2 rows)")
  })

  it("bolds the header only when asked", () => {
    const r = { columns: [{ name: "t", type: "VARCHAR" }], rows: [["v"]] }
    expect(formatTable(r)).not.toContain("\u001b[")
    expect(formatTable(r, { color: true })).toContain("\u001b[1mt")
  })
})
