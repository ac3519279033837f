import { spawn } from "node:child_process"
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Effect, Stream } from "effect"
import { describe, expect, it } from "vitest"
import { configFor, useSimulator, withSource } from "./helpers.js"

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
  const env = useSimulator({
    seed: 11,
    startDate: "2024-03-01",
    days: 2,
    users: 20,
  })

  it("spools into a folder of its own, removes it, and removes what killed processes left", async () => {
    const dead = join(env.spool, `mpd-spool-${await killedPid()}-k1ll3d`)
    const live = join(env.spool, `mpd-spool-${process.pid}-l1v3`)
    const foreign = join(env.spool, "unrelated")
    for (const dir of [dead, live, foreign]) {
      mkdirSync(dir)
      writeFileSync(join(dir, "mp-export-2024-03-01.jsonl"), "{}\n")
    }
    const loose = join(env.spool, `mp-export-2024-03-01-${await killedPid()}-1-mx1ftecb.jsonl`)
    writeFileSync(loose, "{}\n")
    let during: Array<string> = []
    const records = await withSource(configFor(env.sim.url, env.spool), (s) =>
      s.eventRecords({ from: "2024-03-01", to: "2024-03-02" }).pipe(
        Stream.tap(() =>
          Effect.sync(() => {
            during = readdirSync(env.spool)
          }),
        ),
        Stream.runCount,
      ),
    )
    expect(records).toBeGreaterThan(0)
    const own = during.filter(
      (n) => n.startsWith(`mpd-spool-${process.pid}-`) && join(env.spool, n) !== live,
    )
    expect(own).toHaveLength(1)
    expect(existsSync(dead)).toBe(false)
    expect(existsSync(loose)).toBe(false)
    expect(existsSync(live)).toBe(true)
    expect(existsSync(foreign)).toBe(true)
    expect(readdirSync(env.spool).sort()).toEqual(
      [live, foreign].map((d) => d.slice(env.spool.length + 1)).sort(),
    )
  })
})
