#!/usr/bin/env node
/**
 * `pebble-double --socket <path> [--root <dir>]`: serves the Pebble API on a unix socket until
 * SIGTERM or SIGINT. Bad arguments exit 2 with a one-line message.
 */
import { parseArgs } from 'node:util'
import { startPebbleDouble } from '../testing/index.js'

const USAGE = 'usage: pebble-double --socket <path> [--root <dir>] [--okay-delay <ms>]'

async function main(): Promise<number> {
  let values
  try {
    ;({ values } = parseArgs({
      options: {
        socket: { type: 'string' },
        root: { type: 'string' },
        'okay-delay': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }))
  } catch (error) {
    process.stderr.write(`pebble-double: ${(error as Error).message}\n${USAGE}\n`)
    return 2
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`)
    return 0
  }
  if (!values.socket) {
    process.stderr.write(`pebble-double: --socket is required\n${USAGE}\n`)
    return 2
  }
  const okayDelayMs = values['okay-delay'] === undefined ? undefined : Number(values['okay-delay'])
  if (okayDelayMs !== undefined && !(Number.isInteger(okayDelayMs) && okayDelayMs >= 0)) {
    process.stderr.write(`pebble-double: --okay-delay must be a whole number of milliseconds\n`)
    return 2
  }
  let double
  try {
    double = await startPebbleDouble({
      socketPath: values.socket,
      ...(values.root ? { root: values.root } : {}),
      ...(okayDelayMs === undefined ? {} : { okayDelayMs }),
    })
  } catch (error) {
    process.stderr.write(
      `pebble-double: cannot listen on ${values.socket}: ${(error as Error).message}\n`,
    )
    return 1
  }
  process.stderr.write(
    `pebble-double: listening on ${double.socketPath} (files root ${double.root})\n`,
  )
  const stopped = new Promise<number>((resolve) => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => void double.close().then(() => resolve(0)))
    }
    void double.exited.then((exit) => {
      process.stderr.write(`pebble-double: ${exit.reason}\n`)
      resolve(exit.exitCode)
    })
  })
  return stopped
}

// Exit explicitly: a client long-polling /wait must not keep a stopped daemon alive.
process.exit(await main())
