/**
 * Every `webhook-router` sub-command is a module in this folder exporting a `Command`.
 * The process edges (argv, env, stdout, stderr, signals) are passed in, so commands are
 * tested in-process and `cli.ts` stays a thin dispatcher.
 */
export interface CommandIo {
  readonly argv: readonly string[]
  readonly env: Readonly<Record<string, string | undefined>>
  readonly stdout: (line: string) => void
  readonly stderr: (line: string) => void
  /** Resolves when the process is asked to stop (SIGTERM/SIGINT); long-running commands watch it. */
  readonly stopSignal: AbortSignal
  /** Lines of stdout and stderr dropped so far because the output failed; `serve` exports it. */
  readonly outputFailures?: (() => number) | undefined
}

export interface Command {
  readonly name: string
  /** One line for the top-level `--help`. */
  readonly summary: string
  /** Full `--help` text of this command. */
  readonly help: string
  /** Returns the process exit code. Expected failures print one line to stderr, never a stack. */
  run(io: CommandIo): Promise<number>
}
