import { formatResult, type QueryResult, type SourceError } from "@mixpanel-data/core"
import type { MixpanelSource } from "@mixpanel-data/mixpanel-source"
import { Effect } from "effect"
import { type Globals, stdoutFormat } from "../globals.js"
import { tableOptions, writeOut } from "../output.js"
import { runProgram } from "../run.js"
import { mixpanelConfig, mixpanelSource } from "../sources.js"

type Opts = Record<string, unknown>

const col = (name: string, type = "VARCHAR") => ({ name, type })

const limitOf = (opts: Opts) => (typeof opts.limit === "number" ? opts.limit : undefined)

/** Asks the project's API (not the database) and prints the answer in the chosen format. */
const ask = (
  globals: Globals,
  answer: (source: MixpanelSource) => Effect.Effect<QueryResult, SourceError>,
): Promise<number> => {
  const format = stdoutFormat(globals)
  mixpanelConfig(globals)
  return runProgram(
    globals,
    Effect.scoped(
      Effect.flatMap(mixpanelSource(globals), (source) =>
        Effect.flatMap(answer(source), (result) =>
          Effect.promise(() => writeOut(formatResult(format, result, tableOptions(globals)))),
        ),
      ),
    ),
  )
}

export const events = (globals: Globals, opts: Opts) =>
  ask(globals, (s) => {
    const limit = limitOf(opts)
    return Effect.map(s.eventNames(limit === undefined ? {} : { limit }), (names) => ({
      columns: [col("event")],
      rows: names.map((n) => [n]),
    }))
  })

export const properties = (globals: Globals, event: string, opts: Opts) =>
  ask(globals, (s) =>
    Effect.map(s.topProperties(event, limitOf(opts)), (props) => ({
      columns: [col("property"), col("count", "BIGINT")],
      rows: Object.entries(props).map(([name, v]) => [name, v.count]),
    })),
  )

export const values = (globals: Globals, event: string, property: string, opts: Opts) =>
  ask(globals, (s) =>
    Effect.map(s.propertyValues(event, property, limitOf(opts)), (list) => ({
      columns: [col("value")],
      rows: list.map((v) => [v]),
    })),
  )

export const cohorts = (globals: Globals) =>
  ask(globals, (s) =>
    Effect.map(s.cohorts(), (list) => ({
      columns: [col("id", "BIGINT"), col("name"), col("count", "BIGINT")],
      rows: list.map((c) => [c.id, c.name, c.count ?? null]),
    })),
  )

export const funnels = (globals: Globals) =>
  ask(globals, (s) =>
    Effect.map(s.funnels(), (list) => ({
      columns: [col("funnel_id", "BIGINT"), col("name")],
      rows: list.map((f) => [f.funnel_id, f.name]),
    })),
  )
