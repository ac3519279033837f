#!/usr/bin/env node
import { readFileSync } from "node:fs"
import { parseArgs } from "node:util"
import { type FaultPlan, faultPresets } from "./faults.js"
import { startSimulator } from "./server.js"

const usage = `Usage: pnpm sim [options]
  --port N            port (default 0: a free one)
  --host H            loopback address (default 127.0.0.1)
  --seed N            dataset seed (default 1)
  --start-date D      first day, YYYY-MM-DD (default 2024-01-01)
  --days N            days of data (default 30)
  --users N           users (default 1000)
  --events-per-day N  daily event volume instead of the users-derived one
  --profiles N        profiles (default: users)
  --timezone Z        legacy project time zone (IANA); UTC when absent
  --edge-cases        add odd insert ids, more copies, same-second events, big integers, DST
  --faults F          fault plan: JSON, a file path, or a preset (${Object.keys(faultPresets).join(", ")})
  --clock-speed N     run the rate-limit clock N times faster
  --no-limits         do not enforce rate limits
  --today D           refuse to_date later than this day
  --legacy-engage     only /api/2.0/engage (the /api/query path answers 404)
  --prerender         serve each day's unfiltered export body from memory (rendered on first use)
  --prerender-max-mb N  memory cap of the prerendered bodies (default 512)
  --username U --secret S --project-id N   service account (default sim-user / sim-secret / 1)`

const { values } = parseArgs({
  options: {
    port: { type: "string" },
    host: { type: "string" },
    seed: { type: "string" },
    "start-date": { type: "string" },
    days: { type: "string" },
    users: { type: "string" },
    "events-per-day": { type: "string" },
    profiles: { type: "string" },
    timezone: { type: "string" },
    "edge-cases": { type: "boolean" },
    faults: { type: "string" },
    "clock-speed": { type: "string" },
    "no-limits": { type: "boolean" },
    today: { type: "string" },
    "legacy-engage": { type: "boolean" },
    prerender: { type: "boolean" },
    "prerender-max-mb": { type: "string" },
    username: { type: "string" },
    secret: { type: "string" },
    "project-id": { type: "string" },
    help: { type: "boolean", short: "h" },
  },
  strict: true,
})

if (values.help) {
  console.log(usage)
  process.exit(0)
}

const num = (name: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isFinite(n)) {
    console.error(`--${name} must be a number, got ${v}`)
    process.exit(2)
  }
  return n
}

const mib = (n: number | undefined): number | undefined =>
  n === undefined ? undefined : Math.round(n * 1024 * 1024)

const faultPlan = (text: string | undefined): FaultPlan | undefined => {
  if (text === undefined) return undefined
  const preset = faultPresets[text]
  if (preset) return preset
  const json = text.trim().startsWith("{") ? text : readFileSync(text, "utf8")
  return JSON.parse(json) as FaultPlan
}

const main = async (): Promise<void> => {
  const opt = <T>(key: string, v: T | undefined): Record<string, T> =>
    v === undefined ? {} : { [key]: v }
  const sim = await startSimulator({
    ...opt("host", values.host),
    ...opt("port", num("port", values.port)),
    ...opt("seed", num("seed", values.seed)),
    ...opt("startDate", values["start-date"]),
    ...opt("days", num("days", values.days)),
    ...opt("users", num("users", values.users)),
    ...opt("eventsPerDay", num("events-per-day", values["events-per-day"])),
    ...opt("profiles", num("profiles", values.profiles)),
    ...opt("timeZone", values.timezone),
    ...(values["edge-cases"] ? { edgeCases: true } : {}),
    ...opt("faults", faultPlan(values.faults)),
    ...opt("clockSpeed", num("clock-speed", values["clock-speed"])),
    ...(values["no-limits"] ? { limits: false as const } : {}),
    ...opt("today", values.today),
    ...(values["legacy-engage"] ? { engagePaths: "legacy-only" as const } : {}),
    ...(values.prerender ? { prerender: true } : {}),
    ...opt("prerenderMaxBytes", mib(num("prerender-max-mb", values["prerender-max-mb"]))),
    auth: {
      username: values.username ?? "sim-user",
      secret: values.secret ?? "sim-secret",
      projectId: num("project-id", values["project-id"]) ?? 1,
    },
  })
  const ds = sim.dataset
  console.log(`Mixpanel simulator listening on ${sim.url}`)
  console.log(`  MP_API_URL=${sim.url}`)
  console.log(
    `  service account: ${sim.auth.username} / ${sim.auth.secret}, project_id ${sim.auth.projectId}`,
  )
  console.log(`  legacy API secret: ${sim.auth.apiSecret}`)
  console.log(
    `  dataset: seed ${ds.seed}, ${ds.startDate} + ${ds.days} days, ${ds.eventUsers} users, ${ds.profiles} profiles, ${ds.calendar.timeZone}`,
  )
  let stopping = false
  const stop = (signal: string): void => {
    if (stopping) return
    stopping = true
    console.log(`\n${signal}: stopping`)
    sim.close().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  }
  process.on("SIGINT", () => stop("SIGINT"))
  process.on("SIGTERM", () => stop("SIGTERM"))
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e))
  process.exit(1)
})
