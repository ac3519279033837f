import { writeFileSync } from "node:fs"
import { join } from "node:path"

const DAY = 86_400

/** Mixpanel export lines: `count` events over `days` days from 2024-03-01 (UTC). */
export const writeEvents = (dir: string, name: string, count: number, days = 3): string => {
  const start = Date.UTC(2024, 2, 1) / 1000
  const names = ["Sign Up", "Page View", "Purchase"]
  const lines: Array<string> = []
  for (let i = 0; i < count; i++) {
    lines.push(
      JSON.stringify({
        event: names[i % names.length],
        properties: {
          time: start + (i % days) * DAY + (i % 3600),
          distinct_id: `user-${i % 50}`,
          $insert_id: `ins-${i}`,
          mp_country_code: i % 2 === 0 ? "US" : "FR",
          amount: i % 7,
        },
      }),
    )
  }
  const path = join(dir, name)
  writeFileSync(path, `${lines.join("\n")}\n`)
  return path
}

/** Engage results, one per line. */
export const writeProfiles = (dir: string, name: string, count: number): string => {
  const lines: Array<string> = []
  for (let i = 0; i < count; i++) {
    lines.push(
      JSON.stringify({
        $distinct_id: `user-${i}`,
        $properties: { $name: `User ${i}`, plan: "pro" },
      }),
    )
  }
  const path = join(dir, name)
  writeFileSync(path, `${lines.join("\n")}\n`)
  return path
}
