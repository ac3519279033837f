import { TableExists } from "@mixpanel-data/core"
import { describe, expect, it } from "vitest"

describe("core", () => {
  it("errors carry tags and actionable messages", () => {
    const e = new TableExists({ table: "t" })
    expect(e._tag).toBe("TableExists")
    expect(e.message).toContain("already exists")
  })
})
