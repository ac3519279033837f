// `pnpm demo`: a month of a realistic (simulated) Mixpanel project fetched by the real `mp`
// into ./demo.duckdb, then the questions a product analyst asks first, answered by `mp report`
// and in SQL.
import { spawn } from "node:child_process"
import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

const root = resolve(fileURLToPath(new URL("../../", import.meta.url)))
const mp = join(root, "apps/cli/dist/mp.js")
const simModule = join(root, "tooling/mixpanel-sim/dist/index.js")
for (const file of [mp, simModule]) {
  if (!existsSync(file)) {
    console.error(`Missing ${file}. Run "pnpm build" first (pnpm demo does it for you).`)
    process.exit(1)
  }
}
const { startSimulator } = await import(simModule)

const db = join(process.cwd(), "demo.duckdb")
const FROM = "2024-05-01"
const DAYS = 31
const TO = "2024-05-31"
const color = process.stdout.isTTY && !process.env.NO_COLOR
const bold = (s) => (color ? `\u001b[1m${s}\u001b[22m` : s)
const dim = (s) => (color ? `\u001b[2m${s}\u001b[22m` : s)

const started = Date.now()
for (const suffix of ["", ".wal"]) rmSync(db + suffix, { force: true })
const configDir = mkdtempSync(join(tmpdir(), "mp-demo-"))

console.log(bold("Starting a simulated Mixpanel project on loopback"))
const sim = await startSimulator({
  port: 0,
  seed: 2024,
  startDate: FROM,
  days: DAYS,
  eventsPerDay: 21_000,
  profiles: 25_000,
  today: "2024-06-30",
  // Each day's body is rendered once and served from memory (about 350 MB here).
  prerender: true,
})
console.log(
  dim(
    `  ${sim.url}: ${DAYS} days, ~${(21_000 * DAYS).toLocaleString("en-US")} events, 25,000 profiles\n`,
  ),
)

// The simulator's credentials go to `mp` through the environment, as a user's would.
const env = {
  ...process.env,
  MP_CONFIG_DIR: configDir,
  MP_API_URL: sim.url,
  MP_USERNAME: sim.auth.username,
  MP_SECRET: sim.auth.secret,
  MP_PROJECT_ID: String(sim.auth.projectId),
  MP_REGION: "us",
  MP_DB: db,
}
delete env.MP_PROJECT_TIMEZONE

const run = (args, { capture = false } = {}) =>
  new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [mp, ...args], {
      env,
      stdio: ["ignore", capture ? "pipe" : "inherit", "inherit"],
    })
    let out = ""
    child.stdout?.on("data", (b) => {
      out += b
    })
    child.on("error", reject)
    child.on("exit", (code) =>
      code === 0 ? resolvePromise(out) : reject(new Error(`mp ${args.join(" ")} exited ${code}`)),
    )
  })

const show = async (title, sql) => {
  console.log(`\n${bold(title)}`)
  console.log(dim(`$ mp query "${sql.replace(/\s+/g, " ").trim()}"`))
  await run(["query", sql])
}

/** One of `mp report`'s reports, computed over the events table. */
const report = async (title, args) => {
  console.log(`\n${bold(title)}`)
  const shown = args.map((a) => (/^[\w.:-]+$/.test(a) ? a : JSON.stringify(a))).join(" ")
  console.log(dim(`$ mp report ${shown}`))
  await run(["report", ...args])
}

try {
  console.log(bold(`$ mp fetch events --from ${FROM} --to ${TO}`))
  await run(["fetch", "events", "--from", FROM, "--to", TO])
  console.log(bold("\n$ mp fetch profiles"))
  await run(["fetch", "profiles"])

  await show(
    "Top events",
    `SELECT event_name, count(*) AS events, count(DISTINCT distinct_id) AS users
     FROM events GROUP BY 1 ORDER BY 2 DESC LIMIT 10`,
  )
  await report("Daily active users (first 10 days)", [
    "active",
    "--from",
    FROM,
    "--to",
    "2024-05-10",
  ])
  await report("Sign Up -> Add to Cart -> Purchase funnel (within 7 days of signing up)", [
    "funnel",
    "Sign Up",
    "Add to Cart",
    "Purchase",
    "--from",
    FROM,
    "--to",
    TO,
    "--window",
    "7d",
  ])
  await show(
    "Revenue by country (in each buyer's currency)",
    `SELECT properties->>'mp_country_code' AS country, properties->>'currency' AS currency,
            count(*) AS purchases, round(sum(CAST(properties->>'amount' AS DOUBLE)), 2) AS revenue
     FROM events WHERE event_name = 'Purchase' GROUP BY 1, 2 ORDER BY purchases DESC LIMIT 10`,
  )
  await show(
    "Plans of the users who bought",
    `SELECT p.properties->>'plan' AS plan, count(DISTINCT e.distinct_id) AS buyers
     FROM events e JOIN profiles p USING (distinct_id)
     WHERE e.event_name = 'Purchase' GROUP BY 1 ORDER BY 2 DESC`,
  )

  const seconds = ((Date.now() - started) / 1000).toFixed(1)
  console.log(`\n${bold(`Done in ${seconds}s.`)} The data is in ${db}. Go on exploring:`)
  console.log(`  pnpm mp --db demo.duckdb inspect tables
  pnpm mp --db demo.duckdb inspect keys events
  pnpm mp --db demo.duckdb inspect sample profiles -n 3
  pnpm mp --db demo.duckdb report segmentation Purchase --from 2024-05-01 --to 2024-05-31 --on mp_country_code
  pnpm mp --db demo.duckdb query "SELECT properties->>'$os' AS os, count(*) FROM events GROUP BY 1"
  pnpm mp --db demo.duckdb --format csv query "SELECT * FROM events LIMIT 100" > events.csv
  pnpm mp --db demo.duckdb export events demo-parquet --format parquet --partition-by day
For your own project: pnpm mp auth add NAME --username USER --project-id ID`)
} catch (error) {
  console.error(`demo failed: ${error.message}`)
  process.exitCode = 1
} finally {
  await sim.close()
  rmSync(configDir, { recursive: true, force: true })
}
