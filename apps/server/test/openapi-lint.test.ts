import { spawnSync } from "node:child_process"
import { readFileSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { describe, expect, it } from "vitest"
import { cleanEnv, serverForFile } from "./harness.js"

// The served document, checked by an independent linter under its recommended rules.
const require = createRequire(import.meta.url)
const redoclyDir = dirname(require.resolve("@redocly/cli/package.json"))
const redocly = join(
  redoclyDir,
  JSON.parse(readFileSync(join(redoclyDir, "package.json"), "utf8")).bin.redocly,
)
const version = JSON.parse(
  readFileSync(new URL("../package.json", import.meta.url), "utf8"),
).version

const served = serverForFile()

interface LintReport {
  readonly totals: { readonly errors: number; readonly warnings: number }
  readonly problems: ReadonlyArray<{
    readonly ruleId: string
    readonly message: string
    readonly location?: ReadonlyArray<{ readonly pointer?: string }>
  }>
}

describe("the OpenAPI document", () => {
  it("names the server's version and license", async () => {
    const { status, body } = await served.server.json("/openapi.json")
    expect(status).toBe(200)
    expect(body.info.version).toBe(version)
    expect(body.info.license.identifier).toBe("MIT")
  })

  it("passes Redocly's recommended rules with no error or warning", async () => {
    const response = await served.server.call("/openapi.json")
    expect(response.status).toBe(200)
    const file = join(served.dir, "openapi.json")
    writeFileSync(file, await response.text())
    // run in the temporary folder: no configuration file of the workspace applies
    const lint = spawnSync(
      process.execPath,
      [redocly, "lint", "--extends=recommended", "--format=json", file],
      {
        cwd: served.dir,
        encoding: "utf8",
        timeout: 120_000,
        env: cleanEnv({ REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_NOTIFICATIONS: "true" }),
      },
    )
    expect(lint.error).toBeUndefined()
    const report = JSON.parse(lint.stdout) as LintReport
    expect(
      report.problems.map((p) => `${p.ruleId} at ${p.location?.[0]?.pointer}: ${p.message}`),
    ).toEqual([])
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 })
    expect(lint.status, lint.stderr).toBe(0)
  })
})
