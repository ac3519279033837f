/** Exit codes, documented in `mp --help` and the README. */
export const ExitCode = {
  ok: 0,
  error: 1,
  authentication: 2,
  badArguments: 3,
  notFound: 4,
  rateLimited: 5,
  /** `mp verify`: a day's counts differ from Mixpanel's. */
  differences: 6,
  interrupted: 130,
} as const

const byTag: Record<string, number> = {
  AuthenticationError: ExitCode.authentication,
  PermissionError: ExitCode.authentication,
  PlanLimitError: ExitCode.authentication,
  MissingCredentials: ExitCode.authentication,
  BadArguments: ExitCode.badArguments,
  BadRequestError: ExitCode.badArguments,
  InvalidTableName: ExitCode.badArguments,
  InvalidReportOptions: ExitCode.badArguments,
  CannotVerify: ExitCode.badArguments,
  TableExists: ExitCode.badArguments,
  TableTypeMismatch: ExitCode.badArguments,
  OutputExists: ExitCode.badArguments,
  Cancelled: ExitCode.badArguments,
  TableNotFound: ExitCode.notFound,
  DatabaseNotFound: ExitCode.notFound,
  AccountNotFound: ExitCode.notFound,
  FileNotFound: ExitCode.notFound,
  RateLimitedError: ExitCode.rateLimited,
  Interrupted: ExitCode.interrupted,
}

export const exitCodeFor = (tag: string | undefined): number =>
  (tag !== undefined ? byTag[tag] : undefined) ?? ExitCode.error

export const exitCodeHelp = `Exit codes:
  0    ok
  1    error (bad SQL, a line or page the loader refuses: the message names the
       file or day and the line; a server error after retries)
  2    authentication or authorization (401, 402 plan limit, 403 permission, no credentials)
  3    bad arguments (unknown option, bad table name, table or output exists, bad where
       expression, bad report options, a drop not confirmed)
  4    not found (table, database, account, input file)
  5    rate limited after retries
  6    mp verify: at least one day's counts differ from Mixpanel's (stderr names
       how many days, and which)
  mp sync goes on past a table that fails and exits with that failure's code
  (the first one's); its line names the table and why.
  130  interrupted (Ctrl-C); completed days stay committed, run again to resume`
