import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import type { Part, PartResult } from "./part.js"
import { type Exit, runMp } from "./process.js"
import { read, type Seen } from "./reader.js"

/**
 * R2: `mp` killed with SIGKILL at a random moment of a fetch, a `--replace`, an `--append`,
 * an import and a profiles fetch. Right after each kill a reader (DuckDB itself, read-only)
 * must see only whole days that match the truth, nothing half-written; the same command run
 * again must end exact, with no staging table and no spool file left behind.
 */

const FROM = "2024-04-01"
const TO = "2024-04-06"
const DAYS = ["2024-04-01", "2024-04-02", "2024-04-03", "2024-04-04", "2024-04-05", "2024-04-06"]

interface Mode {
  readonly name: string
  /** The database this mode starts from (a copy of it), if any. */
  readonly template?: "complete" | "first-half"
  readonly args: (db: string, file: string) => ReadonlyArray<string>
  /** Whole tables only: the days are all there or none (a replace, an import). */
  readonly allOrNothing: boolean
  readonly profiles?: boolean
}

const modes: ReadonlyArray<Mode> = [
  {
    name: "fetch events",
    args: (db) => ["--db", db, "--no-progress", "fetch", "events", "--from", FROM, "--to", TO],
    allOrNothing: false,
  },
  {
    name: "fetch events --replace",
    template: "complete",
    args: (db) => [
      ...["--db", db, "--no-progress", "fetch", "events", "--from", FROM, "--to", TO],
      "--replace",
    ],
    allOrNothing: true,
  },
  {
    name: "fetch events --append",
    template: "first-half",
    args: (db) => [
      ...["--db", db, "--no-progress", "fetch", "events", "--from", FROM, "--to", TO],
      "--append",
    ],
    allOrNothing: false,
  },
  {
    name: "import events",
    args: (db, file) => ["--db", db, "--no-progress", "import", "events", file],
    allOrNothing: true,
  },
  {
    name: "fetch profiles",
    args: (db) => ["--db", db, "--no-progress", "fetch", "profiles"],
    allOrNothing: true,
    profiles: true,
  },
]

type Truth = ReadonlyMap<string, { count: number; checksum: string }>

/** What is wrong with what a reader sees (empty: nothing). */
const problems = (
  seen: Seen,
  mode: Mode,
  truth: Truth,
  profiles: { count: number; checksum: string },
  whole: boolean,
): Array<string> => {
  const out: Array<string> = []
  const expected = mode.profiles ? "profiles" : "events"
  for (const table of seen.tables)
    if (table !== expected) out.push(`a table a user sees that should not be there: ${table}`)
  if (mode.profiles) {
    if (seen.profiles === undefined) {
      if (whole) out.push("no profiles table")
    } else if (
      seen.profiles.count !== profiles.count ||
      seen.profiles.checksum !== profiles.checksum
    ) {
      out.push(`profiles ${seen.profiles.count} differ from the truth's ${profiles.count}`)
    }
    return out
  }
  for (const [day, got] of seen.days) {
    if (!seen.manifest.has(day)) out.push(`${day}: ${got.count} rows of a day not committed`)
  }
  for (const [day, rows] of seen.manifest) {
    const want = truth.get(day) ?? { count: 0, checksum: "" }
    const got = seen.days.get(day) ?? { count: 0, checksum: want.count === 0 ? "" : "none" }
    if (rows !== got.count)
      out.push(`${day}: the manifest says ${rows} rows, the table ${got.count}`)
    if (got.count !== want.count || (want.count > 0 && got.checksum !== want.checksum))
      out.push(`${day}: ${got.count} rows, the truth ${want.count} (or a different set)`)
  }
  const committed = DAYS.filter((d) => seen.manifest.has(d)).length
  if (whole && committed !== DAYS.length)
    out.push(`${committed}/${DAYS.length} days after the rerun`)
  if (!whole && mode.allOrNothing && committed !== 0 && committed !== DAYS.length)
    out.push(`${committed}/${DAYS.length} days of an all-or-nothing write`)
  return out
}

/** Files a run left in its temp folder (spool folders of the killed process included). */
const leftovers = (tmp: string): Array<string> => readdirSync(tmp)

export const crashes = (runsPerMode: number): Part => ({
  id: "R2",
  title: "crashes: SIGKILL at random moments, then a reader, then the rerun",
  run: async (sim, env, dir, rng) => {
    const truth = new Map<string, { count: number; checksum: string }>()
    for (const day of DAYS)
      truth.set(day, await sim.truth({ from: day, to: day, properties: true }))
    const profiles = await sim.profileTruth({ properties: true })
    const fresh = (label: string) => {
      const d = join(dir, label)
      mkdirSync(join(d, "tmp"), { recursive: true })
      return { db: join(d, "mp.duckdb"), tmp: join(d, "tmp") }
    }
    const must = (exit: Exit, what: string) => {
      if (exit.code !== 0)
        throw new Error(`${what} failed (${exit.code}): ${exit.stderr.slice(-400)}`)
    }
    // the starting points, and how long each mode runs when nobody kills it
    const complete = fresh("complete")
    must(await runMp(modes[0]!.args(complete.db, ""), { ...env, TMPDIR: complete.tmp }), "a fetch")
    const half = fresh("first-half")
    must(
      await runMp(
        ["--db", half.db, "--no-progress", "fetch", "events", "--from", FROM, "--to", DAYS[2]!],
        { ...env, TMPDIR: half.tmp },
      ),
      "a fetch of the first days",
    )
    const file = join(dir, "export.jsonl")
    const exported = await runMp(
      ["--no-progress", "fetch", "events", "--from", FROM, "--to", TO, "--stdout"],
      env,
    )
    must(exported, "an export to stdout")
    writeFileSync(file, exported.stdout)
    const templates = { complete: complete.db, "first-half": half.db }

    const rows: Array<ReadonlyArray<string | number>> = []
    const failures: Array<string> = []
    let total = 0
    let passed = 0
    for (const mode of modes) {
      const start = (label: string) => {
        const run = fresh(label)
        if (mode.template) copyFileSync(templates[mode.template], run.db)
        return run
      }
      const calibration = start(`${mode.name}-calibration`)
      const clean = await runMp(mode.args(calibration.db, file), {
        ...env,
        TMPDIR: calibration.tmp,
      })
      must(clean, mode.name)
      const tally = { killed: 0, cutOff: 0, afterKill: 0, afterRerun: 0, clean: 0 }
      let ok = 0
      for (let i = 0; i < runsPerMode; i++) {
        const run = start(`${mode.name}-${i}`)
        const runEnv = { ...env, TMPDIR: run.tmp }
        const at = Math.round(clean.ms * (0.05 + 0.9 * rng.next()))
        const killed = await runMp(mode.args(run.db, file), runEnv, { killAfterMs: at })
        const found: Array<string> = []
        if (killed.signal === "SIGKILL") tally.killed++
        else if (killed.code !== 0)
          found.push(`ended ${killed.code} before the kill: ${killed.stderr}`)
        const seen = existsSync(run.db) ? await read(run.db) : undefined
        if (seen !== undefined && seen.staging > 0) tally.cutOff++
        const afterKill = seen === undefined ? [] : problems(seen, mode, truth, profiles, false)
        if (afterKill.length === 0) tally.afterKill++
        found.push(...afterKill.map((p) => `after the kill: ${p}`))
        const again = await runMp(mode.args(run.db, file), runEnv)
        // the run ended whole before the kill took effect: the same command then says the
        // complete table already exists (exit 3), and there is nothing left to do
        const wholeBefore =
          seen !== undefined && problems(seen, mode, truth, profiles, true).length === 0
        const nothingToDo = again.code === 3 && /already exists/.test(again.stderr) && wholeBefore
        if (again.code !== 0 && !nothingToDo)
          found.push(`the rerun failed (${again.code}): ${again.stderr.slice(-300)}`)
        else {
          const final = await read(run.db)
          const afterRerun = problems(final, mode, truth, profiles, true)
          if (afterRerun.length === 0) tally.afterRerun++
          found.push(...afterRerun.map((p) => `after the rerun: ${p}`))
          const left = leftovers(run.tmp)
          if (final.staging === 0 && left.length === 0) tally.clean++
          if (final.staging > 0)
            found.push(`after the rerun: ${final.staging} staging table(s) left`)
          if (left.length > 0)
            found.push(`after the rerun: left in the temp folder: ${left.join(", ")}`)
        }
        total++
        if (found.length === 0) {
          ok++
          passed++
        } else failures.push(`${mode.name} #${i} (killed at ${at} ms): ${found.join("; ")}`)
      }
      rows.push([
        mode.name,
        `${tally.killed}/${runsPerMode}`,
        tally.cutOff,
        `${tally.afterKill}/${runsPerMode}`,
        `${tally.afterRerun}/${runsPerMode}`,
        `${tally.clean}/${runsPerMode}`,
        `${ok}/${runsPerMode}`,
      ])
    }
    return {
      header: [
        "what was killed",
        "killed",
        "load cut off",
        "whole days after the kill",
        "exact after the rerun",
        "nothing left",
        "all checks",
      ],
      rows,
      total,
      passed,
      failures,
    } satisfies PartResult
  },
})
