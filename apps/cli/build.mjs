// Bundles the CLI: `dist/mp.js` plus lazily imported chunks, so `mp --version` and `mp --help`
// load only commander and never Effect or DuckDB.
import { readFileSync, rmSync } from "node:fs"
import { build } from "esbuild"

const pkg = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8"))

rmSync(new URL("./dist", import.meta.url), { recursive: true, force: true })

await build({
  entryPoints: { mp: "src/main.ts" },
  outdir: "dist",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  chunkNames: "chunks/[name]-[hash]",
  external: ["@duckdb/node-api", "@duckdb/node-bindings"],
  // Commander is CommonJS: give the ESM bundle a `require` for its Node built-ins.
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __mpCreateRequire } from 'node:module';\nconst require = __mpCreateRequire(import.meta.url);",
  },
  define: { __MP_VERSION__: JSON.stringify(pkg.version) },
  legalComments: "none",
  logLevel: "warning",
})
