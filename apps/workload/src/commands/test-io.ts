import type { CommandIo } from './types.js'

/** A `CommandIo` that records output, for in-process command tests. */
export function recordingIo(argv: string[], env: CommandIo['env'] = {}) {
  const stdout: string[] = []
  const stderr: string[] = []
  const stop = new AbortController()
  const io: CommandIo = {
    argv,
    env,
    stdout: (line) => stdout.push(line),
    stderr: (line) => stderr.push(line),
    stopSignal: stop.signal,
  }
  return { io, stdout, stderr, stop }
}

/** The routing table of examples/router.env. */
export const exampleRoutingEnv = {
  APP_FLAVOURS: '[{small: [small, x64]}, {large: [large, x64]}, {arm64: [arm64, large]}]',
  APP_DEFAULT_FLAVOUR: 'small',
} as const
