import { Context } from "effect"
import type { ServerOptions } from "./options.js"

export interface ServerConfigShape {
  readonly options: ServerOptions
  /** The token every protected route checks (given, or generated at start). */
  readonly token: string
  readonly version: string
  readonly startedAt: number
  /** Private folder for Mixpanel day chunks; the only one DuckDB may read besides temp. */
  readonly spoolDir: string
  /**
   * False only when the server entry was told to run without the SQL guard (a test switch, see
   * main.ts): statements then reach the locked-down database unchecked.
   */
  readonly sqlGuard?: boolean
}

export class ServerConfig extends Context.Service<ServerConfig, ServerConfigShape>()(
  "@mixpanel-data/server/ServerConfig",
) {}
