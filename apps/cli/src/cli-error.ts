/**
 * The CLI's own failures (bad arguments, unknown account, missing credentials...), kept free of
 * any heavy import so `--help` and argument errors stay fast. Tagged like core's errors so one
 * renderer and one exit-code table serve both.
 */
export class CliError extends Error {
  constructor(
    readonly _tag: string,
    message: string,
  ) {
    super(message)
    this.name = _tag
  }
}

export const badArguments = (message: string): CliError => new CliError("BadArguments", message)
