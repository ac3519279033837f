import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

const root = fileURLToPath(new URL("../../", import.meta.url))
const src = (dir: string) => `${root}${dir}/src/index.ts`

/** Tests run against sources; the CLI and server tests spawn the built bundles. */
export default defineConfig({
  resolve: {
    alias: {
      "@mixpanel-data/core": src("packages/core"),
      "@mixpanel-data/mixpanel-source": src("packages/mixpanel-source"),
      "@mixpanel-data/file-source": src("packages/file-source"),
      "@mixpanel-data/mixpanel-sim": src("tooling/mixpanel-sim"),
    },
  },
  test: {
    include: ["{packages,apps,tooling}/*/test/**/*.test.ts"],
    pool: "forks",
    testTimeout: 120_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    // CI reads the JSON results to print its `N passed, N failed` line.
    reporters: process.env.CI ? ["default", "json"] : ["default"],
    outputFile: process.env.CI ? { json: ".vitest-results.json" } : {},
  },
})
