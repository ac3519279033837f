#!/usr/bin/env node
// Export serving throughput of the simulator, measured from outside: the simulator runs in its
// own process (dist/main.js), a node:http client downloads every day of the dataset and discards
// the bytes, and the simulator's own CPU time comes from /proc.
//
//   node tooling/mixpanel-sim/scripts/throughput.mjs [--main dist/main.js] [--days 10]
//     [--users 2000] [--rounds 3] [--prerender]
import { spawn } from "node:child_process"
import { readFileSync } from "node:fs"
import { Agent, request } from "node:http"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"

const { values } = parseArgs({
  options: {
    main: { type: "string" },
    days: { type: "string", default: "10" },
    users: { type: "string", default: "2000" },
    rounds: { type: "string", default: "3" },
    prerender: { type: "boolean", default: false },
  },
})
const main = values.main ?? join(dirname(fileURLToPath(import.meta.url)), "../dist/main.js")
const days = Number(values.days)
const rounds = Number(values.rounds)

const child = spawn(
  process.execPath,
  [
    main,
    "--days",
    String(days),
    "--users",
    values.users,
    "--no-limits",
    ...(values.prerender ? ["--prerender"] : []),
  ],
  { stdio: ["ignore", "pipe", "inherit"] },
)
const url = await new Promise((resolve, reject) => {
  let out = ""
  child.stdout.setEncoding("utf8").on("data", (d) => {
    out += d
    const m = /listening on (\S+)/.exec(out)
    if (m) resolve(m[1])
  })
  child.on("exit", (code) => reject(new Error(`simulator exited with ${code}`)))
})

const ticks = () => {
  const f = readFileSync(`/proc/${child.pid}/stat`, "utf8").split(") ")[1].split(" ")
  return Number(f[11]) + Number(f[12])
}
const agent = new Agent({ keepAlive: true, maxSockets: 1 })
const auth = `Basic ${Buffer.from("sim-user:sim-secret").toString("base64")}`
const dayOf = (i) => new Date(Date.UTC(2024, 0, 1 + i)).toISOString().slice(0, 10)

const get = (day, gzip) =>
  new Promise((resolve, reject) => {
    const q = new URLSearchParams({
      project_id: "1",
      from_date: day,
      to_date: day,
      time_in_ms: "true",
    })
    const req = request(
      `${url}/api/2.0/export?${q}`,
      { agent, headers: { authorization: auth, ...(gzip ? { "accept-encoding": "gzip" } : {}) } },
      (res) => {
        let bytes = 0
        let lines = 0
        res.on("data", (b) => {
          bytes += b.length
          if (!gzip) for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) lines++
        })
        res.on("end", () =>
          res.statusCode === 200
            ? resolve({ bytes, lines })
            : reject(new Error(`${res.statusCode}`)),
        )
        res.on("error", reject)
      },
    )
    req.on("error", reject)
    req.end()
  })

const pass = async (gzip) => {
  const t0 = performance.now()
  const c0 = ticks()
  let bytes = 0
  let lines = 0
  for (let d = 0; d < days; d++) {
    const r = await get(dayOf(d), gzip)
    bytes += r.bytes
    lines += r.lines
  }
  return { seconds: (performance.now() - t0) / 1000, cpu: (ticks() - c0) / 100, bytes, lines }
}

try {
  const first = await pass(false)
  const totalLines = first.lines
  console.log(
    `${main}${values.prerender ? " --prerender" : ""}: ${totalLines} lines over ${days} days`,
  )
  console.log(
    `  first plain pass: ${Math.round(totalLines / first.seconds)} lines/s, simulator CPU ${first.cpu.toFixed(2)} s`,
  )
  for (const gzip of [false, true]) {
    for (let r = 0; r < rounds; r++) {
      const p = await pass(gzip)
      console.log(
        `  ${gzip ? "gzip " : "plain"} round ${r + 1}: ${Math.round(totalLines / p.seconds)} lines/s, ` +
          `${(p.bytes / 1e6).toFixed(1)} MB in ${p.seconds.toFixed(2)} s, simulator CPU ${p.cpu.toFixed(2)} s ` +
          `(${Math.round(totalLines / Math.max(p.cpu, 0.01))} lines per CPU-second)`,
      )
    }
  }
} finally {
  agent.destroy()
  child.kill("SIGTERM")
}
