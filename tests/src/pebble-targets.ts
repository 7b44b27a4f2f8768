/**
 * The two Pebbles the conformance suite runs against: real `pebble run` (v1.32.1) and our
 * double, both with Pebble's own timings, both with the files API on the host filesystem (the
 * double's `root` is `/`), so one test states one behaviour for both.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import type { PebbleClient } from '@webhook-router/pebble-client'
import { startPebbleDouble } from '@webhook-router/pebble-client/testing'
import { startRealPebble } from './pebble-real.js'

/** A started Pebble of either kind. */
export interface RunningPebble {
  socketPath: string
  client: PebbleClient
  close(): Promise<void>
}

/** How to start one kind of Pebble. */
export interface PebbleTarget {
  name: string
  start(): Promise<RunningPebble>
}

export const PEBBLE_TARGETS: readonly PebbleTarget[] = [
  {
    name: 'real Pebble v1.32.1',
    async start() {
      const pebble = await startRealPebble()
      return { socketPath: pebble.socketPath, client: pebble.client(), close: pebble.close }
    },
  },
  {
    name: 'Pebble double',
    async start() {
      const pebble = await startPebbleDouble({ root: '/' })
      return { socketPath: pebble.socketPath, client: pebble.client(), close: pebble.close }
    },
  },
]

/** A scratch directory under /tmp for one test file; remove it with the returned function. */
export function scratchDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(`/tmp/${prefix}-`)
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

/**
 * Polls `probe` until it returns something other than `undefined`. The bound is generous: a
 * starved machine must make this slower, never make it fail.
 */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(50)
  }
}

/** The `current` state of one service. */
export async function serviceState(client: PebbleClient, name: string): Promise<string> {
  const [service] = await client.getServices([name])
  return service?.current ?? 'missing'
}

/** Waits until a service is in `state`. */
export function untilService(client: PebbleClient, name: string, state: string): Promise<true> {
  return eventually(
    async () => ((await serviceState(client, name)) === state ? true : undefined),
    `service ${name} to be ${state}`,
  )
}
