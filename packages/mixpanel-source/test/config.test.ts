import { Redacted } from "effect"
import { describe, expect, it } from "vitest"
import { MixpanelConfigError, mixpanelConfigFromEnv, resolveConfig } from "../src/index.js"

describe("config", () => {
  it("reads a service account and region hosts from the environment", () => {
    const config = mixpanelConfigFromEnv({
      MP_USERNAME: "svc.user",
      MP_SECRET: "s3cret",
      MP_PROJECT_ID: "12345",
      MP_REGION: "EU",
      MP_PROJECT_TIMEZONE: "America/Los_Angeles",
    })
    const { secret, ...rest } = config.credentials
    expect(rest).toEqual({ _tag: "ServiceAccount", username: "svc.user", projectId: "12345" })
    expect(Redacted.isRedacted(secret)).toBe(true)
    expect(Redacted.value(secret)).toBe("s3cret")
    expect(`${secret} ${JSON.stringify(config)}`).not.toContain("s3cret")
    const resolved = resolveConfig(config)
    expect(resolved.exportHost).toBe("https://data-eu.mixpanel.com")
    expect(resolved.queryHost).toBe("https://eu.mixpanel.com")
    expect(resolved.timeZone).toBe("America/Los_Angeles")
    expect(resolved.limits.export).toEqual({ perHour: 60, perSecond: 3, concurrent: 100 })
    expect(resolved.limits.query).toEqual({ perHour: 60, concurrent: 5 })
  })

  it("has every region and one base URL that replaces all hosts", () => {
    const secret = { MP_SECRET: "legacy" }
    expect(resolveConfig(mixpanelConfigFromEnv(secret)).exportHost).toBe(
      "https://data.mixpanel.com",
    )
    const india = resolveConfig(mixpanelConfigFromEnv({ ...secret, MP_REGION: "in" }))
    expect([india.exportHost, india.queryHost]).toEqual([
      "https://data-in.mixpanel.com",
      "https://in.mixpanel.com",
    ])
    const local = resolveConfig(
      mixpanelConfigFromEnv({ ...secret, MP_API_URL: "http://127.0.0.1:9/" }),
    )
    expect([local.exportHost, local.queryHost]).toEqual([
      "http://127.0.0.1:9",
      "http://127.0.0.1:9",
    ])
    expect(local.credentials._tag).toBe("ProjectSecret")
  })

  it("rejects bad values without echoing secrets", () => {
    const check = (env: Record<string, string>) => {
      try {
        mixpanelConfigFromEnv(env)
        return "ok"
      } catch (e) {
        expect(e).toBeInstanceOf(MixpanelConfigError)
        expect((e as Error).message).not.toContain("topsecret")
        return (e as Error).message
      }
    }
    expect(check({})).toMatch(/MP_SECRET/)
    expect(check({ MP_SECRET: "topsecret", MP_USERNAME: "u" })).toMatch(/MP_PROJECT_ID/)
    expect(check({ MP_SECRET: "topsecret", MP_REGION: "mars" })).toMatch(/MP_REGION/)
    expect(check({ MP_SECRET: "topsecret", MP_PROJECT_TIMEZONE: "Mars/Olympus" })).toMatch(
      /MP_PROJECT_TIMEZONE/,
    )
  })
})
