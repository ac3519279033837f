import { spawn } from "node:child_process"
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { startSimulator } from "@mixpanel-data/mixpanel-sim"
import { Effect, Stream } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { configFor, removeDir, simAuth, tempSpool, withSource } from "./helpers.js"

/** The id of a process that was killed with SIGKILL, as `mp` is by a hard stop. */
const killedPid = () =>
  new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], {
      stdio: "ignore",
    })
    child.on("error", reject)
    child.on("spawn", () => child.kill("SIGKILL"))
    child.on("exit", () => resolve(child.pid as number))
  })

describe("spool folders", () => {
  let sim: Awaited<ReturnType<typeof startSimulator>>
  let spool: string

  beforeAll(async () => {
    sim = await startSimulator({
      port: 0,
      seed: 11,
      startDate: "2024-03-01",
      days: 2,
      users: 20,
      auth: simAuth,
      limits: false,
    })
    spool = tempSpool()
  })
  afterAll(async () => {
    await sim?.close()
    removeDir(spool)
  })

  it("spools into a folder of its own, removes it, and removes what killed processes left", async () => {
    const dead = join(spool, `mpd-spool-${await killedPid()}-k1ll3d`)
    const live = join(spool, `mpd-spool-${process.pid}-l1v3`)
    const foreign = join(spool, "unrelated")
    for (const dir of [dead, live, foreign]) {
      mkdirSync(dir)
      writeFileSync(join(dir, "mp-export-2024-03-01.jsonl"), "{}\n")
    }
    const loose = join(spool, `mp-export-2024-03-01-${await killedPid()}-1-mx1ftecb.jsonl`)
    writeFileSync(loose, "{}\n")
    let during: Array<string> = []
    const records = await withSource(configFor(sim.url, spool), (s) =>
      s.eventRecords({ from: "2024-03-01", to: "2024-03-02" }).pipe(
        Stream.tap(() =>
          Effect.sync(() => {
            during = readdirSync(spool)
          }),
        ),
        Stream.runCount,
      ),
    )
    expect(records).toBeGreaterThan(0)
    const own = during.filter(
      (n) => n.startsWith(`mpd-spool-${process.pid}-`) && join(spool, n) !== live,
    )
    expect(own).toHaveLength(1)
    expect(existsSync(dead)).toBe(false)
    expect(existsSync(loose)).toBe(false)
    expect(existsSync(live)).toBe(true)
    expect(existsSync(foreign)).toBe(true)
    expect(readdirSync(spool).sort()).toEqual(
      [live, foreign].map((d) => d.slice(spool.length + 1)).sort(),
    )
  })
})
