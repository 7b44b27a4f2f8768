/**
 * Exit codes of every `webhook-router` command. Scripts and the charm branch on them, so they
 * never change meaning.
 */
export const EXIT = {
  /** Done; for `route`, the labels were routed. */
  ok: 0,
  /** A runtime or configuration failure (bad environment, queue unreachable, port in use). */
  failure: 1,
  /** The command line itself is wrong: unknown command or option, missing argument. */
  usage: 2,
  /** `route` only: no flavour takes these labels. */
  unroutable: 3,
} as const

export type ExitCode = (typeof EXIT)[keyof typeof EXIT]
